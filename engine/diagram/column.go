package diagram

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"regexp"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
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
func ShortLabel(ev *tcp.SegmentEvent) string {
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
func packetClass(ev *tcp.SegmentEvent) string {
	l := ev.Label
	switch {
	case strings.Contains(l, "HTTP") || strings.Contains(l, "STREAM"):
		return "cmp-data"
	case l != "":
		return "cmp-crypto"
	case ev.Seg.Flags&(tcp.SYN|tcp.FIN|tcp.RST) != 0:
		return "cmp-tcp"
	}
	return "cmp-ack"
}

// column is one comparison column's geometry, every text placed.
type column struct {
	lanes  [2]*Label
	rules  []colRule
	pkts   []colPkt
	reqY   float64
	firstY float64
	firstL *Label
	lines  []string
}

type colRule struct {
	y float64
	t *Label
}

type colPkt struct {
	x1, y1, x2, y2 float64
	lost           bool
	class, label   string
	desc           string
	t              *Label
}

// cmpPlaceScale is how much larger than drawn a column's packet label is placed.
const cmpPlaceScale = 1.1

// layoutColumn places a column's lifelines, round-trip rules, packets and texts.
func layoutColumn(tr *engine.Trace, o ColumnOptions) *column {
	y := func(us int64) float64 { return columnTop + float64(us)*o.PxPerUs }
	c := &column{reqY: y(o.RequestUs), firstY: y(o.FirstByteUs)}
	pl := newPlacer(ColumnWidth, ColumnHeight)
	pl.vlines = []float64{columnLaneL, columnLaneR}
	c.lanes[0] = placeText(pl, []string{catalog.In(o.Lang, "lane.client")}, fontCmpLn, "middle", 0, [][2]float64{{columnLaneL, 14}}, 0)
	c.lanes[1] = placeText(pl, []string{catalog.In(o.Lang, "lane.server")}, fontCmpLn, "middle", 0, [][2]float64{{columnLaneR, 14}}, 0)
	// Round-trip rules, so the reader can count; a rule's label is left out where a
	// packet's would collide with it.
	rttUs := int64(o.RTT / time.Microsecond)
	every := max(int64(math.Ceil(float64(o.FirstByteUs)/float64(rttUs)/columnMaxRule)), 1)
	for k := every; k*rttUs <= o.FirstByteUs+rttUs/2; k += every {
		yy := y(k * rttUs)
		if yy > ColumnHeight-4 {
			break
		}
		r := colRule{y: yy}
		r.t = placeText(pl, []string{fmt.Sprintf("%d RTT", k)}, fontCmp, "start", 0, [][2]float64{{2, yy - 2}, {2, yy + 10}}, -1)
		c.rules = append(c.rules, r)
	}
	for _, e := range tr.All() {
		if e.Kind != tcp.EventSegment {
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
		lost := ev.Fate != tcp.Delivered
		if lost {
			x2, y2 = (x1+x2)/2, (y1+y2)/2
		}
		label := ShortLabel(ev)
		desc := fmt.Sprintf("%.1f ms %s → %s: %s, %d B", float64(at)/1000, ev.Src, ev.Dst, label, len(ev.Seg.Payload))
		if ev.Label != "" {
			desc = fmt.Sprintf("%.1f ms %s → %s: %s (%d B)", float64(at)/1000, ev.Src, ev.Dst, ev.Label, len(ev.Seg.Payload))
		}
		if ev.Retransmit || strings.Contains(ev.Label, "resent") {
			label += catalog.In(o.Lang, "column.again")
		}
		if lost {
			desc += catalog.In(o.Lang, "column.lost")
		}
		c.lines = append(c.lines, desc)
		p := colPkt{x1: x1, y1: y1, x2: x2, y2: y2, lost: lost, class: packetClass(ev), label: label, desc: desc}
		// Placed as if a little larger than drawn: Chromium's box for a 10 px text is
		// 14 px tall, more than textBox's estimate, and a comparison column squeezed by
		// a slow row (a lost Fast Open SYN waits the initial RTO of 1 s) puts packet
		// labels on neighbouring lines.
		p.t = alongArrow(pl, x1, y1, x2, y2, []string{label}, fontCmp*cmpPlaceScale)
		if p.t != nil {
			p.t.Size = fontCmp
		}
		pl.line(x1, y1, x2, y2)
		c.pkts = append(c.pkts, p)
	}
	// The first response byte's time, the number the comparison is about, clear of the
	// arrows where it can be.
	ms := fmt.Sprintf("%.0f ms", float64(o.FirstByteUs)/1000)
	c.firstL = placeText(pl, []string{ms}, fontCmp, "start", 0,
		[][2]float64{{columnLaneL + 7, c.firstY + 4}, {columnLaneL + 7, c.firstY + 15}, {columnLaneL + 7, c.firstY - 6},
			{columnLaneL + 7, c.firstY + 26}, {columnLaneL + 50, c.firstY + 4}, {columnLaneL + 50, c.firstY + 15}}, 0)
	return c
}

// WriteColumn draws one run as a comparison column, up to its first response byte, and
// returns its text transcript: one line per packet drawn. Every text is placed clear of
// every other; one too long for its room is shortened, its full text in the title.
func WriteColumn(w io.Writer, tr *engine.Trace, o ColumnOptions) []string {
	esc := html.EscapeString
	c := layoutColumn(tr, o)
	ro := renderOpts{lang: o.Lang}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg class="cmp" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		ColumnWidth, ColumnHeight, ColumnWidth, ColumnHeight, esc(o.Title))
	writeClassLabel(bw, c.lanes[0], ro, "cmp-lane")
	writeClassLabel(bw, c.lanes[1], ro, "cmp-lane")
	for _, r := range c.rules {
		fmt.Fprintf(bw, `<g class="cmp-rule"><line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/>`, columnLaneL, columnLaneR, r.y, r.y)
		writeLabel(bw, r.t, ro)
		bw.WriteString(`</g>`)
	}
	fmt.Fprintf(bw, `<line class="cmp-life" x1="%.0f" x2="%.0f" y1="20" y2="%.0f"/><line class="cmp-life" x1="%.0f" x2="%.0f" y1="20" y2="%.0f"/>`,
		columnLaneL, columnLaneL, ColumnHeight, columnLaneR, columnLaneR, ColumnHeight)
	for _, p := range c.pkts {
		marker := ` marker-end="url(#cmp-arrow)"`
		if p.lost {
			marker = ""
		}
		fmt.Fprintf(bw, `<g class="cmp-pkt %s" data-packet="%s"><title>%s</title><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"%s/>`,
			p.class, esc(p.label), esc(p.desc), p.x1, p.y1, p.x2, p.y2, marker)
		if p.lost {
			fmt.Fprintf(bw, `<path class="cmp-cross" d="M%.1f,%.1fl8,8m0,-8l-8,8"/>`, p.x2-4, p.y2-4)
		}
		writeLabel(bw, p.t, ro)
		bw.WriteString(`</g>`)
	}
	// The two moments the numbers under the diagram count, on the client's lifeline.
	fmt.Fprintf(bw, `<g class="cmp-mark cmp-request"><circle cx="%.0f" cy="%.1f" r="4"/></g>`, columnLaneL, c.reqY)
	fmt.Fprintf(bw, `<g class="cmp-mark cmp-first"><circle cx="%.0f" cy="%.1f" r="4"/>`, columnLaneL, c.firstY)
	writeLabel(bw, c.firstL, ro)
	bw.WriteString(`</g>`)
	bw.WriteString(`<defs><marker id="cmp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs></svg>`)
	bw.Flush()
	return c.lines
}
