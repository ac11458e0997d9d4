package diagram

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/tcp"
	"synack/lessons/stories"
)

var writeStateSVG = flag.String("statesvg", "", "write the state figure as <dir>/states.<lang>.svg")

// The figure has RFC 9293 Figure 5's eleven states and twenty transitions (plus the one
// its note 2 describes), each an arrow from its source box to its target box.
func TestStateFigureIsFigure5(t *testing.T) {
	f := StateMachine("en")
	states := map[string]bool{}
	boxes := map[string]SMRect{}
	for _, n := range f.Nodes {
		states[n.State] = true
		boxes[n.ID] = n.SMRect
		if _, ok := tcp.ParseState(n.State); !ok {
			t.Errorf("node %s: %q is not an engine state name", n.ID, n.State)
		}
	}
	if len(states) != 11 {
		t.Errorf("%d distinct states, want 11", len(states))
	}
	drawn, noted := 0, 0
	ids := map[string]bool{}
	for _, e := range f.Edges {
		if e.Note == "" {
			drawn++
		} else {
			noted++
		}
		if ids[e.ID] {
			t.Errorf("edge %s appears twice", e.ID)
		}
		ids[e.ID] = true
		from, to := boxes[e.FromNode], boxes[e.ToNode]
		if !smOnBorder(e.Points[0], from) {
			t.Errorf("edge %s starts at %v, not on the %s box %v", e.ID, e.Points[0], e.FromNode, from)
		}
		if !smOnBorder(e.Arrow[0], to) {
			t.Errorf("edge %s's arrow points at %v, not at the %s box %v", e.ID, e.Arrow[0], e.ToNode, to)
		}
		if e.Label.Event == "" || e.Label.Action == "" && e.ID != "SYN-RECEIVED>LISTEN" {
			t.Errorf("edge %s has no event / action label", e.ID)
		}
	}
	if drawn != 20 || noted != 1 {
		t.Errorf("%d drawn edges and %d from the notes, want 20 and 1", drawn, noted)
	}
	for _, id := range []string{"CLOSED>LISTEN", "LISTEN>SYN-RECEIVED", "SYN-SENT>ESTABLISHED", "ESTABLISHED>FIN-WAIT-1", "TIME-WAIT>CLOSED", "FIN-WAIT-1>TIME-WAIT"} {
		if !ids[id] {
			t.Errorf("no edge %s", id)
		}
	}
}

func smOnBorder(pt SMPoint, r SMRect) bool {
	const eps = 0.6
	in := pt.X >= r.X-eps && pt.X <= r.X+r.W+eps && pt.Y >= r.Y-eps && pt.Y <= r.Y+r.H+eps
	edge := smAbs(pt.X-r.X) < eps || smAbs(pt.X-r.X-r.W) < eps || smAbs(pt.Y-r.Y) < eps || smAbs(pt.Y-r.Y-r.H) < eps
	return in && edge
}

func smAbs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// No two labels or boxes overlap and nothing leaves the figure, in both languages, with
// the text widths estimated per rune; each label's box holds its text.
func TestStateFigureLabelsDoNotOverlap(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			f, err := buildStateMachine(lang)
			if err != nil {
				t.Fatal(err)
			}
			type box struct {
				name string
				r    SMRect
			}
			var all []box
			for _, n := range f.Nodes {
				all = append(all, box{"box " + n.ID, n.SMRect})
				if w := smTextWidth(n.State, f.NodeFont); w > n.W-8 {
					t.Errorf("box %s is %.0f wide for a %.0f-wide name", n.ID, n.W, w)
				}
			}
			for _, e := range f.Edges {
				l := e.Label
				all = append(all, box{"label of " + e.ID, l.SMRect})
				for _, s := range []string{l.Event, l.Action} {
					if w := smTextWidth(s, f.LabelFont); w > l.W {
						t.Errorf("label of %s: %q is %.0f wide in a %.0f-wide box", e.ID, s, w, l.W)
					}
				}
				if l.EventY <= l.Y || l.ActY >= l.Y+l.H+1 || l.Action != "" && (l.RuleY <= l.EventY || l.RuleY >= l.ActY) {
					t.Errorf("label of %s: lines at %.1f / %.1f / %.1f do not sit in the box %v", e.ID, l.EventY, l.RuleY, l.ActY, l.SMRect)
				}
			}
			for i, a := range all {
				if !a.r.inside(f.Width, f.Height, 0) {
					t.Errorf("%s %v leaves the %.0f × %.0f figure", a.name, a.r, f.Width, f.Height)
				}
				for _, b := range all[i+1:] {
					if a.r.overlaps(b.r, 0) {
						t.Errorf("%s %v overlaps %s %v", a.name, a.r, b.name, b.r)
					}
				}
			}
			for _, e := range f.Edges {
				for _, pt := range append(append([]SMPoint{}, e.Points...), e.Arrow[:]...) {
					if pt.X < 0 || pt.Y < 0 || pt.X > f.Width || pt.Y > f.Height {
						t.Errorf("edge %s leaves the figure at %v", e.ID, pt)
					}
				}
			}
		})
	}
}

// The Chinese figure translates the words and keeps the segment names as they are.
func TestStateFigureChinese(t *testing.T) {
	en, zh := StateMachine("en"), StateMachine("zh")
	if zh.Title == en.Title || !strings.Contains(zh.Title, "RFC 9293") {
		t.Errorf("zh title = %q", zh.Title)
	}
	for i, e := range zh.Edges {
		if e.ID != en.Edges[i].ID {
			t.Fatalf("edge %d is %s in zh and %s in en", i, e.ID, en.Edges[i].ID)
		}
		for _, w := range []string{"SYN", "ACK", "FIN", "RST", "TCB"} {
			enHas := strings.Contains(en.Edges[i].Label.Event+en.Edges[i].Label.Action, w)
			zhHas := strings.Contains(e.Label.Event+e.Label.Action, w)
			if enHas != zhHas {
				t.Errorf("edge %s: %q in en label %q but not in zh %q", e.ID, w, en.Edges[i].Label.Event+" / "+en.Edges[i].Label.Action, e.Label.Event+" / "+e.Label.Action)
			}
		}
		if e.Label.Action != "x" && e.Label.Event == en.Edges[i].Label.Event && e.Label.Action == en.Edges[i].Label.Action {
			t.Errorf("edge %s: zh label is the English one", e.ID)
		}
	}
	for _, k := range []string{"lane.client", "lane.server", "lane.attacker", "taken", "extra"} {
		if zh.Strings[k] == "" || zh.Strings[k] == en.Strings[k] {
			t.Errorf("zh string %s = %q (en %q)", k, zh.Strings[k], en.Strings[k])
		}
	}
	for _, c := range []struct{ name, lang, want string }{
		{"server", "zh", "服务器"}, {"client", "en", "client"}, {"attacker-1", "zh", "攻击者 1"}, {"peer", "zh", "peer"},
	} {
		if got := LaneName(c.name, c.lang); got != c.want {
			t.Errorf("LaneName(%q, %q) = %q, want %q", c.name, c.lang, got, c.want)
		}
	}
	for k := tcp.TimerRTO; k <= tcp.TimerFinWait2; k++ {
		if l := TimerLabel(k.String()); l.ZH == l.EN || l.EN != k.String() {
			t.Errorf("TimerLabel(%s) = %+v", k, l)
		}
	}
}

// The SVG is well-formed, has a title and a description, and every label is text.
func TestStateFigureSVG(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		f := StateMachine(lang)
		var b bytes.Buffer
		if err := WriteStateSVG(&b, f); err != nil {
			t.Fatal(err)
		}
		if *writeStateSVG != "" {
			if err := os.WriteFile(*writeStateSVG+"/states."+lang+".svg", b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
		texts := map[string]bool{}
		var inText, title, desc bool
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: SVG is not well-formed: %v", lang, err)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				inText = x.Name.Local == "text"
				title = title || x.Name.Local == "title"
				desc = desc || x.Name.Local == "desc"
			case xml.CharData:
				if inText {
					texts[string(x)] = true
				}
			case xml.EndElement:
				inText = false
			}
		}
		if !title || !desc {
			t.Errorf("%s: title %v, desc %v", lang, title, desc)
		}
		for _, e := range f.Edges {
			if !texts[e.Label.Event] || e.Label.Action != "" && !texts[e.Label.Action] {
				t.Errorf("%s: label of %s (%q / %q) is not text in the SVG", lang, e.ID, e.Label.Event, e.Label.Action)
			}
		}
	}
}

// The figure encodes to JSON with its geometry (the browser draws it as it is).
func TestStateFigureJSON(t *testing.T) {
	b, err := json.Marshal(StateMachine("zh"))
	if err != nil {
		t.Fatal(err)
	}
	var back StateFigure
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Edges) != len(StateMachine("zh").Edges) || back.Edges[0].Label.W == 0 || len(back.Edges[0].Points) < 2 {
		t.Errorf("JSON round trip lost geometry: %s", b[:200])
	}
}

// Every cause the engine gives for a state change, in every scenario and profile, is
// known to the figure, and the causes that are Figure 5 events land on an edge with the
// same ends. The handshake and the close take only edges of the figure; a RST does not.
func TestStateFigureCoversEngineCauses(t *testing.T) {
	seen := map[string]string{}
	edges := map[string]bool{}
	for _, e := range StateMachine("en").Edges {
		edges[e.ID] = true
	}
	for id := range smShared {
		if !edges[id] {
			t.Errorf("smShared names %s, which is not an edge of the figure", id)
		}
	}
	for _, profile := range []string{"linux", "rfc"} {
		for _, sc := range stories.Default().Stories() {
			p := engine.DefaultParams()
			p.Profile = profile
			tr, err := stories.Default().Run(sc.ID, p)
			if err != nil {
				t.Fatalf("%s/%s: %v", sc.ID, profile, err)
			}
			for _, e := range tr.All() {
				if e.Kind != tcp.EventState {
					continue
				}
				if _, ok := smCauseKinds[e.Cause]; !ok {
					t.Errorf("%s/%s: cause %q (%s → %s) is not in smCauseKinds", sc.ID, profile, e.Cause, e.From, e.To)
					continue
				}
				k := e.From.String() + ">" + e.To.String() + " (" + e.Cause + ")"
				if _, ok := seen[k]; !ok {
					seen[k] = FigureEdge(e.From.String(), e.To.String(), e.Cause)
				}
				pair := e.From.String() + ">" + e.To.String()
				if FigureEdge(e.From.String(), e.To.String(), e.Cause) == "" && edges[pair] && !smShared[pair] {
					t.Errorf("%s/%s: %s for %q is not the figure's edge, but smShared does not say so", sc.ID, profile, pair, e.Cause)
				}
			}
		}
	}
	if testing.Verbose() {
		for k, v := range seen {
			t.Logf("%-70s edge %q", k, v)
		}
	}
	for k, want := range map[string]string{
		"CLOSED>SYN-SENT (active OPEN (connect))":            "CLOSED>SYN-SENT",
		"SYN-SENT>ESTABLISHED (received SYN,ACK)":            "SYN-SENT>ESTABLISHED",
		"ESTABLISHED>FIN-WAIT-1 (CLOSE)":                     "ESTABLISHED>FIN-WAIT-1",
		"TIME-WAIT>CLOSED (TIME-WAIT timer expired)":         "TIME-WAIT>CLOSED",
		"SYN-SENT>CLOSED (RST in answer to our SYN)":         "",
		"FIN-WAIT-2>CLOSED (FIN-WAIT-2 timer expired)":       "",
		"LAST-ACK>CLOSED (our FIN was acknowledged)":         "LAST-ACK>CLOSED",
		"ESTABLISHED>CLOSE-WAIT (received FIN)":              "ESTABLISHED>CLOSE-WAIT",
		"SYN-RECEIVED>ESTABLISHED (received ACK of our SYN)": "SYN-RECEIVED>ESTABLISHED",
	} {
		got, ok := seen[k]
		if !ok {
			t.Errorf("no scenario takes %s", k)
		} else if got != want {
			t.Errorf("FigureEdge for %s = %q, want %q", k, got, want)
		}
	}
}

func BenchmarkStateMachine(b *testing.B) {
	for b.Loop() {
		StateMachine("zh")
	}
}
