package engine

import (
	"net/netip"
	"strings"

	"synack/engine/tcp"
)

// What tcpdump 4.99 adds to or takes from a TCP line, beyond the header fields: its
// relative sequence numbers (print-tcp.c) and the first line of an HTTP payload
// (print-http.c, txtproto_print in util-print.c). The text view is checked line for
// line against the real tcpdump reading the exported capture (tcpdump_test.go at the
// module root).

// tcpdumpConv is print-tcp.c's record of one conversation (struct tcp_seq_hash): the
// base of each direction's sequence numbers. The conversation is keyed in one
// orientation, the "forward" one; seq is the forward direction's base, ack the
// reverse direction's.
type tcpdumpConv struct{ seq, ack tcp.Seq }

type tcpdumpKey struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
}

// tcpdumpSeqs holds the conversations tcpdump has seen, in the order it reads packets.
type tcpdumpSeqs map[tcpdumpKey]*tcpdumpConv

// numbers returns the sequence and acknowledgement numbers tcpdump prints for g and the
// base it subtracts from SACK blocks. With relative off (tcpdump -S) they are the
// header's. Otherwise, as print-tcp.c does: only a segment with ACK set is looked at; the
// first one of a conversation, or any SYN-ACK, records the bases (this direction's
// sequence number and the other's acknowledged number less one) and is printed as it
// is; later ones are printed less the bases. A segment without ACK (a SYN, a bare RST)
// is always printed absolute, so the SYN and the SYN-ACK show absolute numbers and
// relative ones start with the third segment.
func (t tcpdumpSeqs) numbers(g *tcp.Segment, relative bool) (seq, ack, sackBase tcp.Seq) {
	seq, ack = g.Seq, g.Ack
	if !relative || g.Flags&tcp.ACK == 0 {
		return seq, ack, 0
	}
	// The forward orientation: from the lower port, or, on equal ports, from the lower
	// address (memcmp of the IPv4 addresses).
	rev := g.SrcPort > g.DstPort || g.SrcPort == g.DstPort && g.Src.Compare(g.Dst) > 0
	k := tcpdumpKey{g.Src, g.Dst, g.SrcPort, g.DstPort}
	if rev {
		k = tcpdumpKey{g.Dst, g.Src, g.DstPort, g.SrcPort}
	}
	c := t[k]
	if c == nil || g.Flags&tcp.SYN != 0 {
		if c == nil {
			c = &tcpdumpConv{}
			t[k] = c
		}
		if rev {
			c.ack, c.seq = g.Seq, g.Ack-1
		} else {
			c.seq, c.ack = g.Seq, g.Ack-1
		}
	} else if rev {
		seq, ack = g.Seq-c.ack, g.Ack-c.seq
	} else {
		seq, ack = g.Seq-c.seq, g.Ack-c.ack
	}
	// SACK blocks acknowledge the other direction's sequence numbers.
	if rev {
		return seq, ack, c.seq
	}
	return seq, ack, c.ack
}

// tcpdumpPayload is what tcpdump appends after "length N" for a TCP payload it decodes
// by port. Of its decoders only HTTP's (ports 80 and 8080) is reproduced, the one our
// stories meet; TLS on 443 it does not decode.
func tcpdumpPayload(g *tcp.Segment) string {
	if len(g.Payload) == 0 || !(isPort(g, 80) || isPort(g, 8080)) {
		return ""
	}
	return ": " + txtproto(g.Payload, "HTTP", httpMethods, true)
}

func isPort(g *tcp.Segment, p uint16) bool { return g.SrcPort == p || g.DstPort == p }

// httpMethods is print-http.c's httpcmds: the request names that mark a request line.
var httpMethods = []string{"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST",
	"BCOPY", "BMOVE", "MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK",
	"REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND",
	"CHECKOUT", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH", "UNCHECKOUT",
	"MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT", "VERSION-CONTROL",
	"BASELINE-CONTROL"}

// txtprotoMaxToken is MAX_TOKEN in util-print.c: the longest word taken as a token.
const txtprotoMaxToken = 128

// txtproto is util-print.c's txtproto_print without -v: the protocol's name, then, if the
// payload starts with a request name or a three-digit response code (the second word
// when respSecond), ": " and its first line.
func txtproto(p []byte, name string, cmds []string, respSecond bool) string {
	printThis := false
	tok, idx := fetchToken(p, 0)
	if idx != 0 {
		for _, c := range cmds {
			if strings.EqualFold(tok, c) {
				printThis = true
				break
			}
		}
		if respSecond {
			tok, idx = fetchToken(p, idx)
		}
		if idx != 0 && len(tok) == 3 && isDigit(tok[0]) && isDigit(tok[1]) && isDigit(tok[2]) {
			printThis = true
		}
	}
	if !printThis {
		return name
	}
	line, ended, ok := firstTextLine(p)
	if !ok {
		return name
	}
	if !ended {
		// Printable to the end with no line end: tcpdump takes it as truncated and
		// says so (nd_print_trunc: " [|http]").
		return name + ": " + line + " [|" + strings.ToLower(name) + "]"
	}
	return name + ": " + line
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isPrint(c byte) bool { return c >= 0x20 && c <= 0x7e }

// fetchToken is util-print.c's fetch_token: the word at idx and the index after it and
// the blanks that follow; index 0 when there is no token.
func fetchToken(p []byte, idx int) (string, int) {
	start := idx
	for ; idx < len(p); idx++ {
		c := p[idx]
		if c >= 0x80 {
			return "", 0
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			break
		}
		if !isPrint(c) || idx-start+2 > txtprotoMaxToken+1 {
			return "", 0
		}
	}
	if idx == start {
		return "", 0
	}
	tok := string(p[start:idx])
	for ; idx < len(p); idx++ {
		c := p[idx]
		if c == '\r' || c == '\n' || !isPrint(c) || c != ' ' && c != '\t' {
			break
		}
	}
	return tok, idx
}

// firstTextLine is util-print.c's print_txt_line from the start: the first line when it
// is printable text ended by LF or CR LF; ok false for binary data or a CR at the end.
// Text that runs to the end of the payload without a line end comes back with ended
// false.
func firstTextLine(p []byte) (line string, ended, ok bool) {
	for i, c := range p {
		switch {
		case c == '\n':
			return string(p[:i]), true, true
		case c == '\r':
			if i+1 >= len(p) || p[i+1] != '\n' {
				return "", false, false
			}
			return string(p[:i]), true, true
		case !isPrint(c) && c != '\t':
			return "", false, false
		}
	}
	return string(p), false, true
}
