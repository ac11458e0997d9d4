package engine

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"synack/engine/tcp"
)

// TextOptions shape the tcpdump-style text view of a trace.
type TextOptions struct {
	// Relative prints sequence and acknowledgement numbers as tcpdump does without -S:
	// segments without ACK and the SYN-ACK absolute, later ones relative to the bases
	// the SYN-ACK set (tcpdumpSeqs).
	Relative bool
	// NoTimers leaves timer events out.
	NoTimers bool
}

// WriteText writes the trace as tcpdump-style lines (absolute numbers, like tcpdump -S,
// unless opt.Relative), with state changes, application calls, timers and notes
// interleaved as comment lines starting with "#".
func (tr *Trace) WriteText(w io.Writer, opt TextOptions) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# scenario %s, profile %s, seed %d, rtt %s\n", tr.Meta.Scenario, tr.Meta.Profile, tr.Meta.Seed, tr.Meta.RTT)
	isn := tcpdumpSeqs{} // tcpdump's relative bases, per conversation
	for _, e := range tr.Scan() {
		switch e.Kind {
		case tcp.EventSegment:
			writeSegmentLine(bw, e, isn, opt.Relative, true)
		case tcp.EventState:
			fmt.Fprintf(bw, "%s # %s: %s -> %s (%s)%s\n", e.At, e.Endpoint, e.From, e.To, e.Cause, peerSuffix(e.Peer))
		case tcp.EventApp:
			extra := ""
			if e.Bytes != 0 {
				extra = fmt.Sprintf(" %d bytes", e.Bytes)
			}
			if e.Detail != "" {
				extra += " (" + e.Detail + ")"
			}
			fmt.Fprintf(bw, "%s # %s: %s() = %s%s%s\n", e.At, e.Endpoint, e.Call, e.Result, extra, peerSuffix(e.Peer))
		case tcp.EventTimer:
			if opt.NoTimers {
				continue
			}
			switch e.Action {
			case tcp.TimerSet:
				fmt.Fprintf(bw, "%s # %s: %s timer set for %s (fires at %s)%s\n", e.At, e.Endpoint, e.Timer, fmtDur(e.Duration), e.Deadline, peerSuffix(e.Peer))
			default:
				fmt.Fprintf(bw, "%s # %s: %s timer %s%s\n", e.At, e.Endpoint, e.Timer, e.Action, peerSuffix(e.Peer))
			}
		case tcp.EventNote:
			d := e.Detail
			if d != "" {
				d = ": " + d
			}
			fmt.Fprintf(bw, "%s # %s: %s%s%s\n", e.At, e.Endpoint, e.Note, d, peerSuffix(e.Peer))
		case tcp.EventQueue:
			fmt.Fprintf(bw, "%s # %s: SYN queue %d, accept queue %d (backlog %d)\n", e.At, e.Endpoint, e.SynQueue, e.AcceptQueue, e.Backlog)
		}
	}
	return bw.Flush()
}

func peerSuffix(p string) string {
	if p == "" {
		return ""
	}
	return " [with " + p + "]"
}

func fmtDur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// TcpdumpLines returns each segment's line as tcpdump 4.99 prints it from the exported
// capture, by segment ID: with absolute numbers as tcpdump -S does, or as it does by
// default (relative numbers from the third segment of a connection on), with the HTTP
// line it decodes on port 80. Unlike WriteText, the lines carry only what tcpdump
// itself prints.
func (tr *Trace) TcpdumpLines(relative bool) map[int]string {
	out := map[int]string{}
	isn := tcpdumpSeqs{}
	var b strings.Builder
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventSegment {
			b.Reset()
			writeSegmentLine(&b, e, isn, relative, false)
			out[e.Segment.ID] = strings.TrimSuffix(b.String(), "\n")
		}
	}
	return out
}

func writeSegmentLine(w io.Writer, e *tcp.Event, isn tcpdumpSeqs, relative, tags bool) {
	s := e.Segment
	g := s.Seg
	var b strings.Builder
	if g.UDP { // as tcpdump prints a datagram
		fmt.Fprintf(&b, "%s IP %s.%d > %s.%d: UDP, length %d", e.At, g.Src, g.SrcPort, g.Dst, g.DstPort, len(g.Payload))
		if tags {
			writeSegmentTags(&b, s)
		} else {
			b.WriteString("\n")
		}
		io.WriteString(w, b.String())
		return
	}
	seq, ack, sackBase := isn.numbers(&g, relative)
	fmt.Fprintf(&b, "%s IP %s.%d > %s.%d: Flags [%s]", e.At, g.Src, g.SrcPort, g.Dst, g.DstPort, g.Flags.TcpdumpString())
	if n := len(g.Payload); n > 0 || g.Flags&(tcp.SYN|tcp.FIN|tcp.RST) != 0 {
		if n > 0 {
			fmt.Fprintf(&b, ", seq %d:%d", uint32(seq), uint32(seq)+uint32(n))
		} else {
			fmt.Fprintf(&b, ", seq %d", uint32(seq))
		}
	}
	if g.Flags&tcp.ACK != 0 {
		fmt.Fprintf(&b, ", ack %d", uint32(ack))
	}
	fmt.Fprintf(&b, ", win %d", g.Window)
	if g.Flags&tcp.URG != 0 {
		fmt.Fprintf(&b, ", urg %d", g.Urgent)
	}
	if len(g.Options) > 0 {
		fmt.Fprintf(&b, ", options [%s]", g.Options.TcpdumpStringFrom(sackBase))
	}
	fmt.Fprintf(&b, ", length %d%s", len(g.Payload), tcpdumpPayload(&g))
	if tags {
		writeSegmentTags(&b, s)
	} else {
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

// writeSegmentTags ends a segment line with what tcpdump cannot know: the message it
// carries, its fate, the fault, the cookie.
func writeSegmentTags(b *strings.Builder, s *tcp.SegmentEvent) {
	var tags []string
	if s.Label != "" {
		tags = append(tags, s.Label)
	}
	if s.Retransmit {
		tags = append(tags, "retransmission")
	}
	switch s.Fate {
	case tcp.Dropped:
		tags = append(tags, "dropped by the link")
	case tcp.Unrouted:
		tags = append(tags, "to a spoofed address: nobody receives it")
	default:
		tags = append(tags, "arrives "+s.Arrive.String())
	}
	if s.Fault != "" && s.Fate == tcp.Delivered {
		tags = append(tags, "fault: "+s.Fault)
	}
	if s.Cookie != nil {
		tags = append(tags, fmt.Sprintf("SYN cookie: counter %d, MSS index %d (%d)", s.Cookie.Counter, s.Cookie.MSSIndex, s.Cookie.MSS))
	}
	fmt.Fprintf(b, " [#%d %s: %s]\n", s.ID, s.Src+" -> "+s.Dst, strings.Join(tags, "; "))
}
