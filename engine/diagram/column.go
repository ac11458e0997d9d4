package diagram

import (
	"fmt"
	"html"
	"io"
	"math"
	"regexp"
	"strings"
	"time"

	"synack/engine"
)

// Geometry of one comparison column: a client and a server lifeline, time flowing down
// on a scale shared by every column of a comparison, up to the first response byte.
const (
	ColumnWidth   = 250.0
	ColumnHeight  = 420.0
	columnTop     = 34.0
	columnBottom  = 16.0
	columnLaneL   = 40.0
	columnLaneR   = 210.0
	columnMaxRule = 12 // at most this many round-trip rules
	columnGap     = 12 // label stacking: sends closer than this are one burst
	columnStep    = 11 // ... and each further label moves down this far
)

// ColumnScale is the px-per-µs scale at which the slowest of the columns, whose first
// response byte arrives at slowestUs, fills the column's height.
func ColumnScale(slowestUs int64) float64 {
	return (ColumnHeight - columnTop - columnBottom) / float64(max(slowestUs, 1))
}

// ColumnOptions say what a column marks and at what scale.
type ColumnOptions struct {
	RequestUs, FirstByteUs int64         // the two moments the comparison counts
	RTT                    time.Duration // for the round-trip rules
	PxPerUs                float64       // from ColumnScale, the same for every column
	Title, Lang            string
}

var bracketed = regexp.MustCompile(`\[[^\]]*\]`)

// ShortLabel names a packet in a few characters: TCP flags, the first TLS message and
// how many more, or the QUIC packet types.
func ShortLabel(ev *engine.SegmentEvent) string {
	g := ev.Seg
	switch {
	case g.UDP:
		return bracketed.ReplaceAllString(ev.Label, "")
	case ev.Label == "":
		return strings.Join(g.Flags.Names(), " ")
	case strings.Contains(ev.Label, "HTTP request"):
		return "HTTP request"
	case strings.Contains(ev.Label, "HTTP response"):
		return "HTTP response"
	}
	parts := strings.Split(ev.Label, ", ")
	first := strings.Trim(parts[0], "{}[]()")
	if len(parts) > 1 {
		return fmt.Sprintf("%s +%d", first, len(parts)-1)
	}
	return first
}

// packetClass sorts packets into what the comparison's legend colours.
func packetClass(ev *engine.SegmentEvent) string {
	l := ev.Label
	switch {
	case strings.Contains(l, "HTTP") || strings.Contains(l, "STREAM"):
		return "cmp-data"
	case l != "":
		return "cmp-crypto"
	case ev.Seg.Flags&(engine.SYN|engine.FIN|engine.RST) != 0:
		return "cmp-tcp"
	}
	return "cmp-ack"
}

// WriteColumn draws one run as a comparison column, up to its first response byte, and
// returns its text transcript: one line per packet drawn.
func WriteColumn(w io.Writer, tr *engine.Trace, o ColumnOptions) []string {
	esc := html.EscapeString
	in := func(en, zh string) string { return engine.Text{EN: en, ZH: zh}.In(o.Lang) }
	y := func(us int64) float64 { return columnTop + float64(us)*o.PxPerUs }
	fmt.Fprintf(w, `<svg class="cmp" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		ColumnWidth, ColumnHeight, ColumnWidth, ColumnHeight, esc(o.Title))
	fmt.Fprintf(w, `<text class="cmp-lane" x="%.0f" y="14" text-anchor="middle">%s</text><text class="cmp-lane" x="%.0f" y="14" text-anchor="middle">%s</text>`,
		columnLaneL, in("client", "客户端"), columnLaneR, in("server", "服务器"))
	// Round-trip rules, so the reader can count.
	rttUs := int64(o.RTT / time.Microsecond)
	every := max(int64(math.Ceil(float64(o.FirstByteUs)/float64(rttUs)/columnMaxRule)), 1)
	for k := every; k*rttUs <= o.FirstByteUs+rttUs/2; k += every {
		yy := y(k * rttUs)
		if yy > ColumnHeight-4 {
			break
		}
		fmt.Fprintf(w, `<g class="cmp-rule"><line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="2" y="%.1f">%d RTT</text></g>`,
			columnLaneL, columnLaneR, yy, yy, yy-2, k)
	}
	fmt.Fprintf(w, `<line class="cmp-life" x1="%.0f" x2="%.0f" y1="20" y2="%.0f"/><line class="cmp-life" x1="%.0f" x2="%.0f" y1="20" y2="%.0f"/>`,
		columnLaneL, columnLaneL, ColumnHeight, columnLaneR, columnLaneR, ColumnHeight)
	var lines []string
	bursts := newStacker(columnGap, columnStep)
	for i := range tr.Events {
		e := &tr.Events[i]
		if e.Kind != engine.EventSegment {
			continue
		}
		ev, at := e.Segment, int64(e.At)
		if at > o.FirstByteUs {
			break
		}
		x1, x2 := columnLaneL, columnLaneR
		if ev.Src == "server" {
			x1, x2 = columnLaneR, columnLaneL
		}
		y1, y2 := y(at), y(int64(ev.Arrive))
		lost := ev.Fate != engine.Delivered
		if lost {
			x2, y2 = (x1+x2)/2, (y1+y2)/2
		}
		label := ShortLabel(ev)
		desc := fmt.Sprintf("%.1f ms %s → %s: %s, %d B", float64(at)/1000, ev.Src, ev.Dst, label, len(ev.Seg.Payload))
		if ev.Label != "" {
			desc = fmt.Sprintf("%.1f ms %s → %s: %s (%d B)", float64(at)/1000, ev.Src, ev.Dst, ev.Label, len(ev.Seg.Payload))
		}
		if ev.Retransmit || strings.Contains(ev.Label, "resent") {
			label += in(" (again)", "（重传）")
		}
		marker := ` marker-end="url(#cmp-arrow)"`
		if lost {
			desc += in(" — lost", " —— 丢失")
			marker = ""
		}
		lines = append(lines, desc)
		fmt.Fprintf(w, `<g class="cmp-pkt %s" data-packet="%s"><title>%s</title><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"%s/>`,
			packetClass(ev), esc(label), esc(desc), x1, y1, x2, y2, marker)
		if lost {
			fmt.Fprintf(w, `<path class="cmp-cross" d="M%.1f,%.1fl8,8m0,-8l-8,8"/>`, x2-4, y2-4)
		}
		lx, ly := (x1+x2)/2, (y1+y2)/2-4+bursts.offset(ev.Src, y1)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" transform="rotate(%.1f %.1f %.1f)">%s</text></g>`,
			lx, ly, labelAngle(x1, y1, x2, y2), lx, ly, esc(label))
	}
	// The two moments the numbers under the diagram count, on the client's lifeline.
	fmt.Fprintf(w, `<g class="cmp-mark cmp-request"><circle cx="%.0f" cy="%.1f" r="4"/></g>`, columnLaneL, y(o.RequestUs))
	fmt.Fprintf(w, `<g class="cmp-mark cmp-first"><circle cx="%.0f" cy="%.1f" r="4"/><text x="%.0f" y="%.1f" text-anchor="start">%.0f ms</text></g>`,
		columnLaneL, y(o.FirstByteUs), columnLaneL+7, y(o.FirstByteUs)+4, float64(o.FirstByteUs)/1000)
	io.WriteString(w, `<defs><marker id="cmp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs></svg>`)
	return lines
}
