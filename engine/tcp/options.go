package tcp

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// OptionKind is a TCP option kind number (IANA "TCP Option Kind Numbers").
type OptionKind uint8

// The option kinds the engine sends and understands.
const (
	OptEOL           OptionKind = 0  // End of option list, RFC 9293 §3.2
	OptNOP           OptionKind = 1  // No-operation, RFC 9293 §3.2
	OptMSS           OptionKind = 2  // Maximum segment size, RFC 9293 §3.7.1
	OptWindowScale   OptionKind = 3  // Window scale, RFC 7323 §2
	OptSACKPermitted OptionKind = 4  // SACK permitted, RFC 2018 §2
	OptSACK          OptionKind = 5  // SACK blocks, RFC 2018 §3
	OptTimestamps    OptionKind = 8  // Timestamps, RFC 7323 §3
	OptMD5           OptionKind = 19 // MD5 signature, RFC 2385 §3.0 (Data holds the digest)
	OptFastOpen      OptionKind = 34 // TCP Fast Open cookie, RFC 7413 §4.1.1
	// OptExperimental is RFC 6994's shared experimental kind. With the magic number
	// FastOpenMagic after its length it is the Fast Open cookie option Linux used before
	// kind 34 was assigned, and still sends to a server that answered only it.
	OptExperimental OptionKind = 254
)

// FastOpenMagic is the experiment identifier (RFC 6994 §3) of the pre-RFC 7413 Fast Open
// cookie option (Linux TCPOPT_FASTOPEN_MAGIC).
const FastOpenMagic = 0xF989

// SACKBlock is one block of a SACK option: the left and right edges of a received range.
type SACKBlock struct {
	Left, Right Seq
}

// Option is one TCP option. Only the fields of its Kind are meaningful. Unknown options
// keep their kind and raw data so that decoding and encoding round-trip.
type Option struct {
	Kind   OptionKind
	MSS    uint16      // OptMSS
	Shift  uint8       // OptWindowScale
	TSVal  uint32      // OptTimestamps
	TSEcr  uint32      // OptTimestamps
	Blocks []SACKBlock // OptSACK
	// Cookie is the Fast Open cookie of an OptFastOpen option, or of an OptExperimental
	// one that carries FastOpenMagic (then Data is nil); empty for a cookie request
	// (RFC 7413 §4.1.1: an option without a cookie asks for one).
	Cookie []byte
	Data   []byte // unknown kinds (and OptExperimental without the magic): the bytes after kind and length
}

// IsFastOpen reports whether the option is a Fast Open cookie option, in either form.
func (o Option) IsFastOpen() bool {
	return o.Kind == OptFastOpen || o.Kind == OptExperimental && o.Data == nil
}

// Len returns the option's length on the wire in bytes.
func (o Option) Len() int {
	switch o.Kind {
	case OptEOL, OptNOP:
		return 1
	case OptMSS:
		return 4
	case OptWindowScale:
		return 3
	case OptSACKPermitted:
		return 2
	case OptSACK:
		return 2 + 8*len(o.Blocks)
	case OptTimestamps:
		return 10
	case OptFastOpen:
		return 2 + len(o.Cookie)
	case OptExperimental:
		if o.Data == nil {
			return 4 + len(o.Cookie)
		}
	}
	return 2 + len(o.Data)
}

// String writes the option the way tcpdump and packetdrill do: "mss 1460", "sackOK",
// "TS val 1 ecr 0", "nop", "wscale 7".
func (o Option) String() string {
	switch o.Kind {
	case OptEOL:
		return "eol"
	case OptNOP:
		return "nop"
	case OptSACKPermitted:
		return "sackOK"
	}
	return string(o.appendText(nil))
}

// appendText appends String's text to b (the JSON writer streams it).
func (o Option) appendText(b []byte) []byte {
	switch o.Kind {
	case OptEOL:
		return append(b, "eol"...)
	case OptNOP:
		return append(b, "nop"...)
	case OptMSS:
		return strconv.AppendUint(append(b, "mss "...), uint64(o.MSS), 10)
	case OptWindowScale:
		return strconv.AppendUint(append(b, "wscale "...), uint64(o.Shift), 10)
	case OptSACKPermitted:
		return append(b, "sackOK"...)
	case OptSACK:
		b = append(b, "sack"...)
		for _, blk := range o.Blocks {
			b = strconv.AppendUint(append(b, ' '), uint64(blk.Left), 10)
			b = strconv.AppendUint(append(b, ':'), uint64(blk.Right), 10)
		}
		return b
	case OptTimestamps:
		b = strconv.AppendUint(append(b, "TS val "...), uint64(o.TSVal), 10)
		return strconv.AppendUint(append(b, " ecr "...), uint64(o.TSEcr), 10)
	case OptFastOpen, OptExperimental:
		if !o.IsFastOpen() {
			break
		}
		// packetdrill's spelling: "FO" (a cookie request), "FO 3021b9d889017eeb";
		// "FOEXP ..." for the experimental form.
		if o.Kind == OptExperimental {
			b = append(b, "FOEXP"...)
		} else {
			b = append(b, "FO"...)
		}
		if len(o.Cookie) == 0 {
			return b
		}
		return hex.AppendEncode(append(b, ' '), o.Cookie)
	}
	b = strconv.AppendUint(append(b, "opt-"...), uint64(o.Kind), 10)
	b = strconv.AppendInt(append(b, '['), int64(len(o.Data)), 10)
	return append(b, ']')
}

// Options is an ordered option list, kept in wire order including NOP padding.
type Options []Option

// Find returns the first option of the given kind.
func (os Options) Find(k OptionKind) (Option, bool) {
	for _, o := range os {
		if o.Kind == k {
			return o, true
		}
	}
	return Option{}, false
}

// Len returns the options' length on the wire, before padding to a multiple of four.
func (os Options) Len() int {
	n := 0
	for _, o := range os {
		n += o.Len()
	}
	return n
}

// String writes the list as tcpdump does: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7".
func (os Options) String() string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = o.String()
	}
	return strings.Join(parts, ",")
}

// TcpdumpString writes the list as tcpdump prints it. It is String but for the Fast Open
// option, which packetdrill writes "FO" and "FO <cookie>" and tcpdump (print-tcp.c)
// writes "tfo  cookiereq" and "tfo  cookie <cookie>", or "exp-tfo cookiereq" and
// "exp-tfo cookie <cookie>" for the experimental form.
func (os Options) TcpdumpString() string { return os.TcpdumpStringFrom(0) }

// TcpdumpStringFrom is TcpdumpString with SACK blocks written less sackBase, as tcpdump
// writes them when it prints relative numbers: the count, then each block in braces
// ("sack 1 {1:101}"; print-tcp.c subtracts the other direction's base).
func (os Options) TcpdumpStringFrom(sackBase Seq) string {
	parts := make([]string, len(os))
	for i, o := range os {
		if o.Kind == OptSACK {
			b := []byte("sack " + strconv.Itoa(len(o.Blocks)) + " ")
			for _, blk := range o.Blocks {
				b = strconv.AppendUint(append(b, '{'), uint64(uint32(blk.Left-sackBase)), 10)
				b = strconv.AppendUint(append(b, ':'), uint64(uint32(blk.Right-sackBase)), 10)
				b = append(b, '}')
			}
			parts[i] = string(b)
			continue
		}
		if !o.IsFastOpen() {
			parts[i] = o.String()
			continue
		}
		t := "tfo  "
		if o.Kind == OptExperimental {
			t = "exp-tfo "
		}
		if len(o.Cookie) == 0 {
			parts[i] = t + "cookiereq"
		} else {
			parts[i] = t + "cookie " + hex.EncodeToString(o.Cookie)
		}
	}
	return strings.Join(parts, ",")
}

// Clone returns a deep copy, so segments never share option storage.
func (os Options) Clone() Options {
	if os == nil {
		return nil
	}
	c := make(Options, len(os))
	for i, o := range os {
		c[i] = o
		if o.Blocks != nil {
			c[i].Blocks = append([]SACKBlock(nil), o.Blocks...)
		}
		if o.Data != nil {
			c[i].Data = append([]byte(nil), o.Data...)
		}
		if o.Cookie != nil {
			c[i].Cookie = append([]byte(nil), o.Cookie...)
		}
	}
	return c
}
