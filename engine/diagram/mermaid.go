package diagram

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"synack/engine/catalog"
)

// MermaidOptions shape the Mermaid export.
type MermaidOptions struct {
	Lang     string
	Relative bool
	Title    string // accTitle, the lesson's title
}

// WriteMermaid writes the layout as a Mermaid sequenceDiagram: one participant per lane,
// each segment a message in the order the layout shows it (a lost one ends in a cross,
// a retransmission is dotted, a bundle of a flood is one message), state changes,
// application calls and the engine's notes as notes over their lane, compressed idle
// gaps as notes over every lane. accTitle and accDescr give screen readers the title
// and what the figure shows.
func WriteMermaid(w io.Writer, l *Layout, opt MermaidOptions) error {
	bw := bufio.NewWriter(w)
	title := opt.Title
	if title == "" {
		title = l.Scenario
	}
	ids := map[string]string{}
	var names []string
	for i, ln := range l.Lanes {
		id := mermaidID(ln.Name, i)
		ids[ln.Name] = id
		names = append(names, LaneText(ln.Name).In(opt.Lang)+" "+ln.Addr)
	}
	segs, lost := 0, 0
	for i := range l.Items {
		if it := &l.Items[i]; it.Kind == "segment" {
			segs++
			if it.Fate != "delivered" {
				lost++
			}
		}
	}
	desc := catalog.F("mermaid.desc", segs, strings.Join(names, catalog.In(opt.Lang, "mermaid.and")), lost, l.Profile, l.RTTus/1000, l.Seed).In(opt.Lang)
	fmt.Fprintf(bw, "sequenceDiagram\n    accTitle: %s\n    accDescr: %s\n", mermaidText(title), mermaidText(desc))
	for i, ln := range l.Lanes {
		fmt.Fprintf(bw, "    participant %s as %s\n", ids[ln.Name], mermaidText(names[i]))
	}
	all := ""
	if len(l.Lanes) > 0 {
		all = ids[l.Lanes[0].Name]
		if len(l.Lanes) > 1 {
			all += "," + ids[l.Lanes[len(l.Lanes)-1].Name]
		}
	}
	gap := 0
	for i := range l.Items {
		it := &l.Items[i]
		for gap < len(l.Gaps) && l.Gaps[gap].Y2 <= it.Y1 && all != "" {
			g := l.Gaps[gap]
			fmt.Fprintf(bw, "    Note over %s: … %s …\n", all, mermaidText(g.Real))
			gap++
		}
		text := ""
		if it.T != nil {
			text = it.T.Pick(opt.Lang, opt.Relative)
		}
		switch it.Kind {
		case "segment", "bundle":
			if it.Kind == "bundle" {
				text = it.Text.In(opt.Lang)
			} else if it.T == nil || it.T.Cut {
				text = segmentWords(l.Steps[it.Step].Text.In(opt.Lang))
			}
			arrow := "->>"
			switch {
			case it.Fate != "" && it.Fate != "delivered":
				arrow = "-x"
			case it.Retransmit:
				arrow = "-->>"
			}
			fmt.Fprintf(bw, "    %s%s%s: %s\n", ids[it.Src], arrow, ids[it.Dst], mermaidText(text))
		case "state", "app", "note":
			if text == "" || ids[it.Lane] == "" {
				continue
			}
			if it.Kind == "note" {
				text = it.Text.In(opt.Lang)
			}
			fmt.Fprintf(bw, "    Note over %s: %s\n", ids[it.Lane], mermaidText(text))
		}
	}
	return bw.Flush()
}

// segmentWords is a step's text without its time and endpoints ("10 ms client → server:
// SYN seq 1" → "SYN seq 1"), for a label the layout had to shorten.
func segmentWords(s string) string {
	for _, sep := range []string{": ", "："} {
		if i := strings.Index(s, sep); i >= 0 {
			return s[i+len(sep):]
		}
	}
	return s
}

// mermaidID is a lane's participant id: letters, digits and _ only.
func mermaidID(name string, i int) string {
	var b strings.Builder
	for _, r := range name {
		if r < 0x80 && (r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("p%d", i)
	}
	return b.String()
}

// mermaidText escapes what Mermaid reads as syntax inside a message or note: # starts
// an entity code, ; ends a statement, and a newline ends the line.
func mermaidText(s string) string {
	return strings.NewReplacer("#", "#35;", ";", "#59;", "\n", " ", "\r", " ").Replace(s)
}
