package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/catalog"
	"synack/engine/passive"
	"synack/engine/tcp"
	"synack/engine/wire"
	"synack/lessons/stories"
)

func post(t testing.TB, h http.Handler, target, ctype string, body []byte) *http.Response {
	t.Helper()
	r := httptest.NewRequest("POST", target, bytes.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// synPCAP writes n SYNs as a raw-IP pcap: from ports starting at 1024, one connection
// each when distinct, else all one connection.
func synPCAP(n int, distinct bool) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], capture.LinkTypeRaw)
	b.Write(h)
	seg := tcp.Segment{Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 1024, DstPort: 80, Flags: tcp.SYN, Seq: 1, Window: 1000, TTL: 64}
	pkt := wire.Encode(seg)
	var rec [16]byte
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(pkt)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(pkt)))
	for i := range n {
		binary.LittleEndian.PutUint32(rec[4:], uint32(i%1000000))
		b.Write(rec[:])
		if distinct {
			// The source port and the TCP checksum change together; the reader checks
			// neither checksum, so only the port is rewritten.
			binary.BigEndian.PutUint16(pkt[20:], uint16(1024+i%60000))
			binary.BigEndian.PutUint16(pkt[12:], uint16(i/60000)) // and the address, past 60,000
		}
		b.Write(pkt)
	}
	return b.Bytes()
}

func TestImportUploadAndConnection(t *testing.T) {
	s := NewServer(Config{})
	tr, err := stories.Default().Run("lost-final-ack", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var pc bytes.Buffer
	capture.WritePCAP(&pc, tr)
	for _, lang := range []string{"en", "zh"} {
		res := do(t, s, "GET", "/import?lang="+lang, nil)
		body := readBody(t, res)
		if res.StatusCode != 200 || !strings.Contains(body, catalog.In(lang, "import.title")) || !strings.Contains(body, "/static/js/import.js") {
			t.Fatalf("GET /import?lang=%s: %d", lang, res.StatusCode)
		}
		res = post(t, s, "/import?lang="+lang, "application/octet-stream", pc.Bytes())
		if res.StatusCode != 200 {
			t.Fatalf("POST /import: %d %s", res.StatusCode, readBody(t, res))
		}
		var list ImportList
		if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
		if len(list.Conns) != 1 || list.Format != "pcap" || list.Packets != len(tr.Segments()) {
			t.Fatalf("list = %+v", list)
		}
		c := list.Conns[0]
		// lost-final-ack: the client's last ACK is lost, the server's FIN comes again.
		if got := strings.Join(c.StatesB, " > "); !strings.HasPrefix(got, "LISTEN > SYN-RECEIVED > ESTABLISHED") {
			t.Errorf("server states %s", got)
		}
		found := false
		for _, a := range c.Anomalies {
			if a.Key == "retransmission" {
				found = a.Lesson != "" && a.Name == anomalyName(passive.Retransmission, lang)
			}
		}
		if !found {
			t.Errorf("no retransmission with its lesson in %+v", c.Anomalies)
		}
		if res := do(t, s, "GET", c.URL, nil); res.StatusCode != 200 {
			t.Errorf("GET %s: %d (the player: importplayer_test.go)", c.URL, res.StatusCode)
		}
	}
	// The connection alone, as pcapng: the same segments read back.
	up := post(t, s, "/import", "application/octet-stream", pc.Bytes())
	var list ImportList
	json.NewDecoder(up.Body).Decode(&list)
	res := do(t, s, "GET", "/import/"+list.ID+"/0/capture.pcapng", nil)
	got, err := passive.Read(res.Body, passive.Options{Keep: -1})
	if res.StatusCode != 200 || err != nil || len(got.Conns) != 1 || got.Conns[0].Packets != len(tr.Segments()) {
		t.Errorf("capture.pcapng: %d, %v", res.StatusCode, err)
	}
	if res := do(t, s, "GET", "/import/0123456789abcdef0123456789abcdef/0/capture.pcapng", nil); res.StatusCode != 404 {
		t.Errorf("an unknown upload's capture: %d, want 404", res.StatusCode)
	}
	if res := do(t, s, "GET", "/import/0123456789abcdef0123456789abcdef/0", nil); res.StatusCode != 404 {
		t.Errorf("an unknown upload: %d, want 404", res.StatusCode)
	}
}

func TestImportLimits(t *testing.T) {
	s := NewServer(Config{})
	// Size: at the limit the file is read (and refused as garbage); one byte more is
	// refused for its size.
	atLimit := bytes.Repeat([]byte{0}, MaxUploadBytes)
	if res := post(t, s, "/import", "application/octet-stream", atLimit); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("%d bytes of zeros: %d, want 422", MaxUploadBytes, res.StatusCode)
	}
	res := post(t, s, "/import", "application/octet-stream", append(atLimit, 0))
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(readBody(t, res), "16 MB") {
		t.Errorf("%d bytes: %d, want 413 naming the limit", MaxUploadBytes+1, res.StatusCode)
	}
	// Packets and connections, at the limit and one past it.
	for _, c := range []struct {
		name     string
		n        int
		distinct bool
		err      error
	}{
		{"packets at the limit", MaxUploadPackets, false, nil},
		{"packets past the limit", MaxUploadPackets + 1, false, passive.ErrTooManyPackets},
		{"connections at the limit", MaxUploadConnections, true, nil},
		{"connections past the limit", MaxUploadConnections + 1, true, passive.ErrTooManyConnections},
	} {
		_, err := readUpload(context.Background(), synPCAP(c.n, c.distinct), -1)
		if !errors.Is(err, c.err) && !(c.err == nil && err == nil) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.err)
		}
	}
	// Time: a read past its deadline stops.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := readUpload(ctx, synPCAP(10, false), -1); !errors.Is(err, context.Canceled) {
		t.Errorf("a read past its deadline: err = %v", err)
	}
}

func TestImportCacheIsBounded(t *testing.T) {
	c := newImportCache()
	first := c.put([]byte("x"), 1)
	for range ImportCacheEntries - 1 {
		c.put([]byte("y"), 1)
	}
	if _, ok := c.get(first); !ok {
		t.Fatal("the first upload is gone before the cache is full")
	}
	second := c.put([]byte("z"), 1) // the first was just used: another goes
	if _, ok := c.get(first); !ok {
		t.Error("the most recently used upload was dropped")
	}
	if len(c.m) != ImportCacheEntries {
		t.Errorf("%d uploads kept, want %d", len(c.m), ImportCacheEntries)
	}
	big := c.put(make([]byte, ImportCacheBytes), 1)
	if len(c.m) != 1 || c.bytes != ImportCacheBytes {
		t.Errorf("after an upload of the whole byte budget: %d kept, %d bytes", len(c.m), c.bytes)
	}
	if _, ok := c.get(big); !ok {
		t.Error("the newest upload is not kept")
	}
	_ = second
}

const okScript = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`

func TestScriptRun(t *testing.T) {
	s := NewServer(Config{})
	for _, lang := range []string{"en", "zh"} {
		res := do(t, s, "GET", "/script?lang="+lang, nil)
		if b := readBody(t, res); res.StatusCode != 200 || !strings.Contains(b, catalog.In(lang, "script.title")) {
			t.Fatalf("GET /script: %d", res.StatusCode)
		}
	}
	run := func(src string) (int, ScriptResult) {
		res := post(t, s, "/script", "text/plain", []byte(src))
		var out ScriptResult
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	// The engine offers wscale 10 with its default buffers (as Linux does): a script
	// expecting 8 fails on line 6, saying what it expected and what was sent.
	if code, out := run(okScript); code != 200 || out.Pass || out.Line != 6 || !strings.Contains(out.Message, "wscale 8") ||
		!strings.Contains(out.Message, "got") || !strings.Contains(out.SVG, "<svg") {
		t.Errorf("failing script: %d %+v", code, out)
	}
	// The failure on the diagram itself, in the reader's language: the expected segment
	// as a ghost arrow labelled with the script's line, the one sent instead marked; the
	// runner's message in Chinese from its key.
	for _, c := range []struct{ lang, msg, ghost string }{
		{"en", "expected options <mss 1460,nop,nop,sackOK,nop,wscale 8>, got <", "line 6 expected: +0 &gt; S. 0:0(0) ack 1"},
		{"zh", "期望选项 <mss 1460,nop,nop,sackOK,nop,wscale 8>，实际选项 <", "第 6 行期望：+0 &gt; S. 0:0(0) ack 1"},
	} {
		res := post(t, s, "/script?lang="+c.lang, "text/plain", []byte(okScript))
		var out ScriptResult
		json.NewDecoder(res.Body).Decode(&out)
		if !strings.Contains(out.Message, c.msg) {
			t.Errorf("%s: message %q, want %q", c.lang, out.Message, c.msg)
		}
		if !strings.Contains(out.SVG, `class="sa-ghost"`) || !strings.Contains(out.SVG, c.ghost) {
			t.Errorf("%s: the diagram has no ghost arrow saying %q", c.lang, c.ghost)
		}
		if strings.Count(out.SVG, ` sa-mismatch"`) != 1 {
			t.Errorf("%s: %d segments marked as sent instead, want the SYN-ACK alone", c.lang, strings.Count(out.SVG, ` sa-mismatch"`))
		}
	}
	// Nothing sent where a line expected a segment: the ghost alone.
	head := okScript[:strings.Index(okScript, "+0 < S")]
	for _, c := range []struct {
		name, src     string
		ghost, marked int
	}{
		{"nothing sent", head + "+0 > S. 0:0(0) ack 1 <...>\n", 1, 0},
	} {
		res := post(t, s, "/script?lang=en", "text/plain", []byte(c.src))
		var out ScriptResult
		json.NewDecoder(res.Body).Decode(&out)
		if out.Pass || strings.Count(out.SVG, `class="sa-ghost"`) != c.ghost || strings.Count(out.SVG, ` sa-mismatch"`) != c.marked {
			t.Errorf("%s: %q: %d ghosts, %d marked; want %d, %d", c.name, out.Message, strings.Count(out.SVG, `class="sa-ghost"`), strings.Count(out.SVG, ` sa-mismatch"`), c.ghost, c.marked)
		}
	}
	// A segment sent that no line reads is not checked, as packetdrill reads outbound
	// packets only where a line expects one: the script passes.
	res0 := post(t, s, "/script?lang=en", "text/plain", []byte(head+"+0 < S 0:0(0) win 32792 <mss 1000>\n+1 close(3) = 0\n"))
	var out0 ScriptResult
	json.NewDecoder(res0.Body).Decode(&out0)
	if !out0.Pass || strings.Contains(out0.SVG, ` sa-mismatch"`) {
		t.Errorf("a SYN-ACK no line reads: pass %v, message %q; packetdrill does not check it", out0.Pass, out0.Message)
	}
	// A script that does not parse, in Chinese: its line, what is wrong, where.
	res := post(t, s, "/script?lang=zh", "text/plain", []byte("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1000 junk\n"))
	var pout ScriptResult
	json.NewDecoder(res.Body).Decode(&pout)
	if res.StatusCode != http.StatusUnprocessableEntity || pout.Line != 2 || !strings.HasPrefix(pout.Error, "第 2 行：") || !strings.Contains(pout.Error, `在 "junk" 附近`) {
		t.Errorf("a parse error in Chinese: %d %+v", res.StatusCode, pout)
	}
	pass := strings.Replace(okScript, "wscale 8>", "wscale 10>", 1)
	if code, out := run(pass); code != 200 || !out.Pass || len(out.Tcpdump) != 3 {
		t.Errorf("passing script: %d %+v", code, out)
	}
	if code, out := run("0 bogus\n"); code != http.StatusUnprocessableEntity || out.Line != 1 {
		t.Errorf("unparsable script: %d %+v", code, out)
	}
	// Size: at the limit it is parsed; past it, refused.
	pad := func(n int) string { return okScript + strings.Repeat("\n", n-len(okScript)) }
	if code, out := run(pad(MaxScriptPageBytes)); code != 200 || out.Line != 6 {
		t.Errorf("a %d-byte script: %d %+v", MaxScriptPageBytes, code, out)
	}
	if code, _ := run(pad(MaxScriptPageBytes + 1)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte script: %d, want 413", MaxScriptPageBytes+1, code)
	}
	// Events: at the limit and one past it.
	events := func(n int) string {
		var b strings.Builder
		b.WriteString("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n")
		for range n - 1 {
			b.WriteString("+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n")
		}
		return b.String()
	}
	if code, out := run(events(MaxScriptPageEvents)); code != 200 || out.Error != "" {
		t.Errorf("%d events: %d %+v", MaxScriptPageEvents, code, out.Error)
	}
	if code, out := run(events(MaxScriptPageEvents + 1)); code != http.StatusUnprocessableEntity || out.Line != MaxScriptPageEvents+1 {
		t.Errorf("%d events: %d line %d", MaxScriptPageEvents+1, code, out.Line)
	}
	// Virtual time: the last event at the limit, and just past it.
	at := func(d string) string { return "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" + d + " close(3) = 0\n" }
	if code, out := run(at(fmt.Sprint(MaxScriptPageTime.Seconds()))); code != 200 || out.Error != "" {
		t.Errorf("last event at the limit: %d %s", code, out.Error)
	}
	if code, _ := run(at(fmt.Sprint(MaxScriptPageTime.Seconds() + 0.001))); code != http.StatusUnprocessableEntity {
		t.Errorf("last event past the limit: %d, want 422", code)
	}
}

func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return b.String()
}
