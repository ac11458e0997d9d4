package tcp

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"time"
)

// AppendJSON appends the event's JSON object (no trailing newline) to b. Field order is
// fixed so that traces are byte-identical run to run.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"t":"`...)
	b = append(b, e.Kind.String()...)
	b = append(b, `","at_us":`...)
	b = strconv.AppendInt(b, int64(e.At), 10)
	switch e.Kind {
	case EventSegment:
		s := e.Segment
		b = append(b, `,"id":`...)
		b = strconv.AppendInt(b, int64(s.ID), 10)
		b = appendStr(b, "src", s.Src)
		b = appendStr(b, "dst", s.Dst)
		b = appendAddr(b, "src_ip", s.Seg.Src)
		b = appendInt(b, "sport", int64(s.Seg.SrcPort))
		b = appendAddr(b, "dst_ip", s.Seg.Dst)
		b = appendInt(b, "dport", int64(s.Seg.DstPort))
		if s.Seg.UDP {
			b = appendStr(b, "proto", "udp")
		}
		b = append(b, `,"flags":[`...)
		first := true
		for _, o := range flagOrder {
			if s.Seg.Flags&o.f != 0 {
				if !first {
					b = append(b, ',')
				}
				b = strconv.AppendQuote(b, o.name)
				first = false
			}
		}
		b = append(b, ']')
		b = appendInt(b, "seq", int64(s.Seg.Seq))
		b = appendInt(b, "ack", int64(s.Seg.Ack))
		b = appendInt(b, "len", int64(len(s.Seg.Payload)))
		b = appendInt(b, "win", int64(s.Seg.Window))
		b = append(b, `,"options":[`...)
		for i, o := range s.Seg.Options {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOptionJSON(b, o)
		}
		b = append(b, ']')
		b = appendStr(b, "fate", s.Fate.String())
		b = appendInt(b, "arrive_us", int64(s.Arrive))
		if s.Retransmit {
			b = append(b, `,"retransmit":true`...)
		}
		if s.Fault != "" {
			b = appendStr(b, "fault", s.Fault)
		}
		if s.DupOf != 0 {
			b = appendInt(b, "dup_of", int64(s.DupOf))
		}
		if s.Label != "" {
			b = appendStr(b, "label", s.Label)
		}
		if s.Handshake {
			b = append(b, `,"handshake":true`...)
		}
		if c := s.Cookie; c != nil {
			b = append(b, `,"cookie":{`...)
			b = append(b, `"isn":`...)
			b = strconv.AppendUint(b, uint64(c.ISN), 10)
			b = appendInt(b, "hash1", int64(c.Hash1))
			b = appendInt(b, "client_isn", int64(c.ClientISN))
			b = appendInt(b, "counter", int64(c.Counter))
			b = appendInt(b, "hash2", int64(c.Hash2))
			b = appendInt(b, "mss_index", int64(c.MSSIndex))
			b = appendInt(b, "mss", int64(c.MSS))
			if c.TSBits != 0 || c.HasTS {
				b = appendInt(b, "ts_bits", int64(c.TSBits))
			}
			b = append(b, '}')
		}
	case EventState:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "from", e.From.String())
		b = appendStr(b, "to", e.To.String())
		b = appendStr(b, "cause", e.Cause)
	case EventApp:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "call", e.Call)
		b = appendStr(b, "result", e.Result)
		if e.Bytes != 0 {
			b = appendInt(b, "bytes", int64(e.Bytes))
		}
		if e.Detail != "" {
			b = appendStr(b, "detail", e.Detail)
		}
	case EventTimer:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "timer", e.Timer.String())
		b = appendStr(b, "action", e.Action.String())
		b = appendInt(b, "deadline_us", int64(e.Deadline))
		b = appendInt(b, "duration_us", int64(e.Duration/time.Microsecond))
	case EventNote:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "note", e.Note)
		if e.Detail != "" {
			b = appendStr(b, "detail", e.Detail)
		}
	case EventQueue:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendInt(b, "syn_queue", int64(e.SynQueue))
		b = appendInt(b, "accept_queue", int64(e.AcceptQueue))
		b = appendInt(b, "backlog", int64(e.Backlog))
	}
	return append(b, '}')
}

func appendStr(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendQuote(b, v)
}

// appendAddr appends key and the address as its String would write it, without a string.
func appendAddr(b []byte, key string, a netip.Addr) []byte {
	if !a.IsValid() || a.Zone() != "" {
		return appendStr(b, key, a.String())
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

func appendInt(b []byte, key string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

// optionJSONName is the name an option kind has in the JSON trace.
func optionJSONName(k OptionKind) string {
	switch k {
	case OptEOL:
		return "eol"
	case OptNOP:
		return "nop"
	case OptMSS:
		return "mss"
	case OptWindowScale:
		return "wscale"
	case OptSACKPermitted:
		return "sackOK"
	case OptSACK:
		return "sack"
	case OptTimestamps:
		return "TS"
	case OptFastOpen:
		return "FO"
	}
	return "kind-" + strconv.Itoa(int(k))
}

func appendOptionJSON(b []byte, o Option) []byte {
	b = append(b, `{"kind":"`...)
	if o.Kind == OptExperimental && o.IsFastOpen() {
		b = append(b, "FOEXP"...)
	} else {
		b = append(b, optionJSONName(o.Kind)...)
	}
	b = append(b, '"')
	if o.IsFastOpen() {
		b = appendStr(b, "cookie", hex.EncodeToString(o.Cookie))
	}
	switch o.Kind {
	case OptMSS:
		b = appendInt(b, "mss", int64(o.MSS))
	case OptWindowScale:
		b = appendInt(b, "shift", int64(o.Shift))
	case OptTimestamps:
		b = appendInt(b, "val", int64(o.TSVal))
		b = appendInt(b, "ecr", int64(o.TSEcr))
	case OptSACK:
		b = append(b, `,"blocks":[`...)
		for i, blk := range o.Blocks {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendUint(b, uint64(blk.Left), 10)
			b = append(b, ',')
			b = strconv.AppendUint(b, uint64(blk.Right), 10)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	b = append(b, `,"text":"`...) // the text is plain ASCII: quoting would not change it
	b = o.appendText(b)
	return append(b, '"', '}')
}
