package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/catalog"
	"synack/lessons/stories"
)

// lostFinalAckPCAP is the lost-final-ack story as a raw-IP pcap whose first packet's IP
// header checksum is 0xdead: the bytes as captured, which no encoder would write, so a
// view that shows them shows the capture and not a re-encoding.
func lostFinalAckPCAP(t *testing.T) (file []byte, segments int) {
	t.Helper()
	tr, err := stories.Default().Run("lost-final-ack", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var pc bytes.Buffer
	capture.WritePCAP(&pc, tr)
	b := pc.Bytes()
	const first = 24 + 16 // the pcap header, the first record's header
	b[first+10], b[first+11] = 0xde, 0xad
	return b, len(tr.Segments())
}

func upload(t *testing.T, s *Server, lang string, file []byte) ImportList {
	t.Helper()
	res := post(t, s, "/import?lang="+lang, "application/octet-stream", file)
	var list ImportList
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || res.StatusCode != 200 {
		t.Fatalf("POST /import: %d %v", res.StatusCode, err)
	}
	return list
}

// An imported connection opens in the player: the live diagram, the transcript, the
// tcpdump view, and narration that explains each flagged packet on its arrow with a
// link to the lesson about it, in the reader's language.
func TestImportOpensInThePlayer(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	file, nseg := lostFinalAckPCAP(t)
	for _, lang := range []string{"en", "zh"} {
		list := upload(t, s, lang, file)
		res := do(t, s, "GET", list.Conns[0].URL, nil)
		body := readBody(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("%s: GET %s: %d", lang, list.Conns[0].URL, res.StatusCode)
		}
		why := strings.SplitN(catalog.F("import.why.retransmission", 0).In(lang), "0", 2)[1][:12]
		for _, want := range []string{`data-testid="player"`, `class="sa-live"`, `data-testid="tcpdump"`, `data-testid="narration"`,
			`"scenario":"import/` + list.ID + `/0"`, why, `href="/lessons/time-wait?lang=` + lang + `" data-testid="narration-lesson"`,
			`/import/` + list.ID + `/0/capture.pcapng`, `"initialStates":{"client":"CLOSED","server":"LISTEN"}`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the player page lacks %q", lang, want)
			}
		}
		// A story's parameters, embed and exports are not offered for a capture.
		for _, not := range []string{`data-testid="params"`, `data-action="copy-embed"`, "/lessons/import/"} {
			if strings.Contains(body, not) {
				t.Errorf("%s: the player page of a capture has %q", lang, not)
			}
		}
	}

	// The socket streams it: the layout, then every step, a segment's bytes as captured.
	list := upload(t, s, "en", file)
	w, _, err := dial(t, ts, "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.next("hello")
	w.send(map[string]any{"type": "start", "scenario": "import/" + list.ID + "/0", "query": "lang=en", "step": -1})
	var layout struct{ Steps []struct{ Kind string } }
	json.Unmarshal(w.next("init")["layout"], &layout)
	w.send(map[string]any{"type": "seek", "step": len(layout.Steps) - 1})
	got, segs := 0, 0
	for got < len(layout.Steps) {
		var steps []struct {
			Index int
			Event json.RawMessage
			Bytes string
		}
		json.Unmarshal(w.next("steps")["steps"], &steps)
		for _, st := range steps {
			got++
			if !strings.Contains(string(st.Event), `"t":"segment"`) {
				continue
			}
			segs++
			if segs == 1 && (len(st.Bytes) < 24 || st.Bytes[20:24] != "dead") {
				t.Errorf("the first segment's bytes %.48s…: want the captured header checksum dead at byte 10", st.Bytes)
			}
		}
	}
	if segs != nseg {
		t.Errorf("%d segment steps, want the capture's %d", segs, nseg)
	}
	// An upload that is not (or no longer) here is an error, not a run.
	w.send(map[string]any{"type": "start", "scenario": "import/0123456789abcdef0123456789abcdef/0", "query": "", "step": -1})
	if m := w.next("error"); !strings.Contains(string(m["message"]), "no longer here") {
		t.Errorf("an unknown upload: %s", m["message"])
	}
	for _, bad := range []string{"/import/" + list.ID + "/1", "/import/" + list.ID + "/x", "/import/nothing/0", "/import/" + list.ID + "/1/diagram.svg"} {
		if res := do(t, s, "GET", bad, nil); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", bad, res.StatusCode)
		}
	}
	if res := do(t, s, "GET", "/import/"+list.ID+"/0/diagram.svg", nil); res.StatusCode != 200 || !strings.Contains(readBody(t, res), "<svg") {
		t.Errorf("diagram.svg: %d", res.StatusCode)
	}
}

// The imported connections laid out for the player are bounded: ImportRunEntries are
// kept, and one more sends the least recently used away (it is read again if asked).
func TestImportRunsAreBounded(t *testing.T) {
	s := NewServer(Config{})
	list := upload(t, s, "en", synPCAP(ImportRunEntries+1, true))
	if len(list.Conns) != ImportRunEntries+1 {
		t.Fatalf("%d connections, want %d", len(list.Conns), ImportRunEntries+1)
	}
	for i := range ImportRunEntries {
		if res := do(t, s, "GET", fmt.Sprintf("/import/%s/%d", list.ID, i), nil); res.StatusCode != 200 {
			t.Fatalf("connection %d: %d", i, res.StatusCode)
		}
	}
	if n := s.importRuns.ll.Len(); n != ImportRunEntries {
		t.Fatalf("%d runs kept after %d opened, want %d", n, ImportRunEntries, ImportRunEntries)
	}
	built := s.importRuns.sims.Load()
	do(t, s, "GET", fmt.Sprintf("/import/%s/%d", list.ID, 0), nil) // still kept: not read again
	if s.importRuns.sims.Load() != built {
		t.Errorf("a kept connection was read again")
	}
	do(t, s, "GET", fmt.Sprintf("/import/%s/%d", list.ID, ImportRunEntries), nil)
	if n := s.importRuns.ll.Len(); n != ImportRunEntries {
		t.Errorf("%d runs kept after %d opened, want %d", n, ImportRunEntries+1, ImportRunEntries)
	}
	do(t, s, "GET", fmt.Sprintf("/import/%s/%d", list.ID, 1), nil) // the least recently used went
	if got := s.importRuns.sims.Load(); got != built+2 {
		t.Errorf("%d reads, want %d: connection 1 should have left the cache", got, built+2)
	}
}

// In Firefox an imported connection plays in the player too: every arrow drawn live,
// and opened at a flagged packet's step, the narration links the lesson.
func TestBrowserFirefoxImport(t *testing.T) {
	b := firefox(t)
	s, ts := newTestServer(t, Config{})
	file, nseg := lostFinalAckPCAP(t)
	list := upload(t, s, "zh", file)
	b.navigate(ts.URL + list.Conns[0].URL + "&autoplay=1&speed=8")
	b.waitFor(fmt.Sprintf(`document.querySelectorAll("svg.sa-live [data-segment]").length === %d && [...document.querySelectorAll("svg.sa-live [data-segment]")].every(e => !e.classList.contains("sa-hidden"))`, nseg))
	step, _ := b.eval(`JSON.parse(document.getElementById("boot").textContent).lesson.steps[1].step`).(float64)
	if step < 1 {
		t.Fatalf("the narration's second step is at %v, want a flagged packet's", step)
	}
	b.navigate(fmt.Sprintf("%s%s&step=%d", ts.URL, list.Conns[0].URL, int(step)+1))
	b.waitFor(`document.documentElement.dataset.player === "ready" && !!document.querySelector("#narration-text [data-testid=narration-link]")`)
	if got, _ := b.eval(`document.querySelector("#narration-text [data-testid=narration-link]").getAttribute("href")`).(string); !strings.HasPrefix(got, "/lessons/time-wait?lang=zh") {
		t.Errorf("the narration links %q", got)
	}
	b.waitFor(`document.querySelectorAll("#inspector .insp-hex span").length >= 40`)
}
