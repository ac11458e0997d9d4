package diagram

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"synack/engine"
	"synack/lessons/stories"
)

func mermaidOf(t *testing.T, id, lang string) (string, *Layout) {
	t.Helper()
	tr, err := stories.Default().Run(id, engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	l := Build(tr, Options{})
	var b bytes.Buffer
	if err := WriteMermaid(&b, l, MermaidOptions{Lang: lang, Title: "T;#"}); err != nil {
		t.Fatal(err)
	}
	return b.String(), l
}

var mermaidMsg = regexp.MustCompile(`(?m)^    (\w+)(->>|-->>|-x)(\w+): (.*)$`)

// TestMermaidHandshake: the three-way handshake is SYN, SYN-ACK, ACK (RFC 9293 §3.5,
// Figure 6) from client to server, back, and again, with accTitle and accDescr.
func TestMermaidHandshake(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		out, _ := mermaidOf(t, "three-way-handshake", lang)
		lines := strings.Split(out, "\n")
		if lines[0] != "sequenceDiagram" || !strings.HasPrefix(lines[1], "    accTitle: T#59;#35;") || !strings.HasPrefix(lines[2], "    accDescr: ") {
			t.Fatalf("%s: head of the diagram:\n%s", lang, strings.Join(lines[:3], "\n"))
		}
		if !strings.Contains(lines[2], "3") {
			t.Errorf("%s: accDescr %q does not count the 3 segments", lang, lines[2])
		}
		msgs := mermaidMsg.FindAllStringSubmatch(out, -1)
		want := [][3]string{{"client", "server", "SYN seq "}, {"server", "client", "SYN ACK seq "}, {"client", "server", "ACK seq "}}
		if len(msgs) != len(want) {
			t.Fatalf("%s: %d messages, want 3:\n%s", lang, len(msgs), out)
		}
		for i, m := range msgs {
			if m[1] != want[i][0] || m[3] != want[i][1] || !strings.HasPrefix(m[4], want[i][2]) || m[2] != "->>" {
				t.Errorf("%s: message %d = %q, want %s->>%s: %s…", lang, i+1, m[0], want[i][0], want[i][1], want[i][2])
			}
		}
		if zhName := LaneText("client").ZH; lang == "zh" && !strings.Contains(out, "participant client as "+zhName+" 192.0.2.1") {
			t.Errorf("zh: the client participant is not named %q:\n%s", zhName, out)
		}
		if !strings.Contains(out, "Note over server: SYN-RECEIVED") {
			t.Errorf("%s: no note of the server entering SYN-RECEIVED", lang)
		}
	}
}

// TestMermaidLossAndRetransmission: every segment of the layout is a message, a lost one
// ends in a cross and a retransmission is dotted.
func TestMermaidLossAndRetransmission(t *testing.T) {
	out, l := mermaidOf(t, "lost-final-ack", "en")
	msgs := mermaidMsg.FindAllStringSubmatch(out, -1)
	var segs []*Item
	for i := range l.Items {
		if l.Items[i].Kind == "segment" {
			segs = append(segs, &l.Items[i])
		}
	}
	if len(msgs) != len(segs) {
		t.Fatalf("%d messages for %d segments", len(msgs), len(segs))
	}
	for i, it := range segs {
		want := "->>"
		if it.Fate != "delivered" {
			want = "-x"
		} else if it.Retransmit {
			want = "-->>"
		}
		if msgs[i][2] != want || msgs[i][1] != it.Src || msgs[i][3] != it.Dst {
			t.Errorf("segment %d drawn %q, want %s%s%s", it.ID, msgs[i][0], it.Src, want, it.Dst)
		}
	}
	if !strings.Contains(out, "Note over client,server: … 60 s …") {
		t.Errorf("the 60 s of TIME-WAIT are not noted as a compressed gap:\n%s", out)
	}
}
