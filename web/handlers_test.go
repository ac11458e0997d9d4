package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synack/engine"
	"synack/engine/diagram"
	"synack/engine/handshakes"
	"synack/lessons/stories"
)

func get(t *testing.T, h http.Handler, target string, hdr map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func TestRoutes(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct {
		path, ctype string
		status      int
		framable    bool
	}{
		{"/", "text/html", 200, false},
		{"/lessons/three-way-handshake", "text/html", 200, false},
		{"/embed/lessons/simultaneous-close", "text/html", 200, true},
		{"/lab", "text/html", 200, false},
		{"/lessons/four-way-close/diagram.svg", "image/svg+xml", 200, false},
		{"/lessons/lost-final-ack/capture.pcap", "application/vnd.tcpdump.pcap", 200, false},
		{"/healthz", "text/plain", 200, false},
		{"/compare", "text/html", 200, false},
		{"/embed/compare?rtt=50ms", "text/html", 200, true},
		{"/compare.json?rtt=40ms&lose=1", "application/json", 200, false},
		{"/lessons/https-tls13/capture.pcapng", "application/x-pcapng", 200, false},
		{"/static/js/player.js", "text/javascript", 200, false},
		{"/diagram.css", "text/css", 200, false},
		{"/lessons/no-such-thing", "text/html", 404, false},
		{"/lessons/no-such-thing/diagram.svg", "text/plain", 404, false},
		{"/nowhere", "text/html", 404, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := get(t, s, tc.path, nil)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, tc.ctype)
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self' 'sha256-") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "nonce") {
				t.Errorf("CSP %q: want a script-src of 'self' and hashes, with no nonce", csp)
			}
			xfo := res.Header.Get("X-Frame-Options")
			if tc.framable {
				if xfo != "" || !strings.Contains(csp, "frame-ancestors * file:") {
					t.Errorf("embed: X-Frame-Options %q, CSP %q; want framable by any page", xfo, csp)
				}
			} else if xfo != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("X-Frame-Options %q, CSP %q; want DENY and frame-ancestors 'none'", xfo, csp)
			}
		})
	}
}

// The page opens at the story's first step, or at the URL's ?step=N, which is "Step N":
// the counter, the diagram drawn so far, the transcript's current line and the narration
// all agree with it before any script runs.
func TestPageOpensAtItsStep(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct{ query, counter, current string }{
		{"&step=5", "Step 5 of ", `id="step-5" data-step="4" class="current"`},
		{"&step=0", "Step 1 of ", `id="step-1" data-step="0" class="current"`},
	} {
		b := body(t, get(t, s, "/lessons/four-way-close?lang=en"+tc.query, nil))
		if !strings.Contains(b, `data-testid="stepno">`+tc.counter) || !strings.Contains(b, tc.current) {
			t.Errorf("%q: counter or transcript not at the step (want %q, %q)", tc.query, tc.counter, tc.current)
		}
	}
	// Without a step the page opens where the lesson's story starts: its first narrated
	// step (the close, in four-way-close, with the handshake drawn above it), and before
	// the step of its first question.
	les, ok := s.cfg.Lessons.Get("four-way-close")
	if !ok {
		t.Fatal("no four-way-close lesson")
	}
	tr, err := stories.Default().Run(les.Scenario, engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	l := diagram.Build(tr, diagram.Options{})
	lb := placeLesson(les, tr, l, engine.DefaultParams(), "en")
	start := lb.Steps[0].Step
	for _, q := range lb.Questions {
		start = min(start, q.Step-1) // a question's answer is never drawn before it is asked
	}
	if start < 5 {
		t.Fatalf("four-way-close's story starts at step %d, too early to tell it from step 1", start)
	}
	first := start
	b := body(t, get(t, s, "/lessons/four-way-close?lang=en", nil))
	if want := fmt.Sprintf(`data-testid="stepno">Step %d of `, first+1); !strings.Contains(b, want) {
		t.Errorf("the page without ?step does not open at the story's start: want %q", want)
	}
	// The page asks for the narrow layout itself on a small screen (before it paints), and
	// with width=narrow it is drawn narrow and no longer asks.
	if !strings.Contains(b, `searchParams.set("width","narrow")`) {
		t.Error("the page does not fit its diagram to a small screen")
	}
	nb := body(t, get(t, s, "/lessons/four-way-close?lang=en&width=narrow", nil))
	if strings.Contains(nb, `searchParams.set("width","narrow")`) || !strings.Contains(nb, `viewBox="0 0 360 `) || !strings.Contains(nb, `width=narrow`) {
		t.Error("width=narrow does not draw the narrow diagram, or the socket's query loses it")
	}
	// The state-machine lesson draws its figure large, below the diagram; others do not.
	if b := body(t, get(t, s, "/lessons/state-machine?lang=en", nil)); !strings.Contains(b, "sa-states-large") {
		t.Error("the state-machine lesson does not ask for the large state figure")
	}
	if b := body(t, get(t, s, "/lessons/three-way-handshake?lang=en", nil)); strings.Contains(b, "sa-states-large") {
		t.Error("the three-way handshake draws the large state figure")
	}
	// Transcript links count like the URL: the fifth line links to step=5.
	b = body(t, get(t, s, "/lessons/four-way-close?lang=en", nil))
	if !strings.Contains(b, `id="step-5" data-step="4"`) || !strings.Contains(b, `step=5"`) {
		t.Error("transcript line 5 does not link to ?step=5")
	}
}

// Every scenario's page renders, in both languages, with its diagram and transcript.
func TestEveryScenarioPage(t *testing.T) {
	s := NewServer(Config{})
	for _, sc := range s.cfg.Stories.Stories() {
		title := sc.Title
		if l, ok := s.cfg.Lessons.Get(sc.ID); ok {
			title = l.Title // a lesson of the same name tells the scenario's story
		}
		for _, lang := range Languages {
			res := get(t, s, "/lessons/"+sc.ID+"?lang="+lang, nil)
			b := body(t, res)
			if res.StatusCode != 200 || !strings.Contains(b, html.EscapeString(title.In(lang))) || !strings.Contains(b, `class="sa-lane"`) {
				t.Errorf("%s (%s): status %d, title or diagram missing", sc.ID, lang, res.StatusCode)
			}
		}
	}
}

// Every inline script a page carries is allowed by its SHA-256 in the policy (CSP Level
// 3 §8.4: base64 of the digest of the element's text), nothing carries a nonce, and the
// boot data is a data block, not a script that runs.
func TestInlineScriptsAllowedByHash(t *testing.T) {
	s := NewServer(Config{})
	inline := regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`)
	for _, tc := range []struct {
		path   string
		inline int // scripts that run from the page itself
	}{
		{"/lessons/three-way-handshake", 2}, // the "js" class and the narrow-screen reload
		{"/lessons/three-way-handshake?width=narrow", 1},
		{"/embed/lessons/three-way-handshake?lang=zh", 2},
		{"/lab", 2},
		{"/", 1},
		{"/compare", 1},
	} {
		res := get(t, s, tc.path, nil)
		csp := res.Header.Get("Content-Security-Policy")
		b := body(t, res)
		if strings.Contains(b, "nonce") {
			t.Errorf("%s: the page carries a nonce", tc.path)
		}
		n := 0
		for _, m := range inline.FindAllStringSubmatch(b, -1) {
			attrs, text := m[1], m[2]
			if strings.Contains(attrs, "src=") || strings.Contains(attrs, `type="application/json"`) {
				continue
			}
			n++
			sum := sha256.Sum256([]byte(text))
			if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
				t.Errorf("%s: inline script %q: its hash %s is not in the policy %q", tc.path, text, h, csp)
			}
		}
		if n != tc.inline {
			t.Errorf("%s: %d inline scripts, want %d", tc.path, n, tc.inline)
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct {
		name, target string
		hdr          map[string]string
		want         string
	}{
		{"query", "/?lang=zh", nil, `lang="zh-CN"`},
		{"cookie", "/", map[string]string{"Cookie": LangCookie + "=zh"}, `lang="zh-CN"`},
		{"accept-language", "/", map[string]string{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}, `lang="zh-CN"`},
		{"query beats cookie", "/?lang=en", map[string]string{"Cookie": LangCookie + "=zh"}, `lang="en"`},
		{"default", "/", map[string]string{"Accept-Language": "fr"}, `lang="en"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := body(t, get(t, s, tc.target, tc.hdr))
			if !strings.Contains(b, tc.want) {
				t.Fatalf("page lacks %s", tc.want)
			}
		})
	}
	res := get(t, s, "/?lang=zh", nil)
	if c := res.Header.Get("Set-Cookie"); !strings.HasPrefix(c, LangCookie+"=zh") {
		t.Fatalf("an explicit ?lang= is remembered in a cookie, got %q", c)
	}
}

// Out-of-range parameters are clamped with a visible message in the reader's language,
// never a 500.
func TestBadParametersAreReportedNotFatal(t *testing.T) {
	s := NewServer(Config{})
	res := get(t, s, "/lessons/three-way-handshake?rtt=99s&profile=bsd&seed=x&drop=0,a&speed=100&step=-4&lang=zh", nil)
	b := body(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{`data-testid="problems"`, "rtt 1m39s 大于 2s", "未知的 profile", "speed 100 大于 8"} {
		if !strings.Contains(b, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// The scripts get their words from the page: every key a script names (T("key"),
// t["key"]) is among the strings the page hands them, in both languages. (That every key
// exists in both languages is engine/catalog's test.)
func TestPageHandsScriptsTheirStrings(t *testing.T) {
	use := regexp.MustCompile(`(?:\bT\(|\bt\[|fmt\()"([a-z][a-z0-9.-]*)"`)
	files, _ := filepath.Glob("../static/js/*.js")
	// The pages that hand a script words of their own, by the script's file.
	handed := map[string]func(string) map[string]string{"import.js": importPageStrings, "script.js": scriptPageStrings}
	n := 0
	for _, f := range files {
		pageStrings := pageStrings
		if h, ok := handed[filepath.Base(f)]; ok {
			pageStrings = h
		}
		b, _ := os.ReadFile(f)
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a family ("field." + name): the catalogue's test covers it
			}
			n++
			for _, lang := range Languages {
				if _, ok := pageStrings(lang)[m[1]]; !ok {
					t.Errorf("%s names %q, which the page does not hand its scripts in %s", filepath.Base(f), m[1], lang)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("found only %d keys named in the scripts; the pattern no longer matches them", n)
	}
	if got := pageStrings("zh")["field.tcp.seq"]; got != "序列号" {
		t.Errorf(`pageStrings("zh")["field.tcp.seq"] = %q, want 序列号`, got)
	}
}

// The generated templ files are committed; regenerating them must change nothing.
func TestTemplFilesAreFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating templ output in -short mode is skipped")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "templates") // same relative path, so the file names in errors match
	os.Mkdir(dir, 0o755)
	files, _ := filepath.Glob("../templates/*.templ")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644)
	}
	modRoot, _ := filepath.Abs("..")
	bin, err := exec.Command("go", "-C", modRoot, "tool", "-n", "templ").Output()
	if err != nil {
		t.Fatalf("finding the templ tool: %v", err)
	}
	// templ names files relative to -path, so generate from the copy's root as
	// "go tool templ generate" does from the module's.
	cmd := exec.Command(strings.TrimSpace(string(bin)), "generate", "-path", ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("templ generate: %v\n%s", err, out)
	}
	for _, f := range files {
		gen := strings.TrimSuffix(filepath.Base(f), ".templ") + "_templ.go"
		want, _ := os.ReadFile(filepath.Join(dir, gen))
		got, err := os.ReadFile(filepath.Join("../templates", gen))
		if err != nil || string(got) != string(want) {
			t.Errorf("templates/%s is stale: run go tool templ generate", gen)
		}
	}
}

// Every lesson's page renders in both languages with its narration, its questions in the
// printable form, and no placeholder left unfilled.
func TestEveryLessonPage(t *testing.T) {
	s := NewServer(Config{})
	for _, l := range s.cfg.Lessons.All() {
		for _, lang := range Languages {
			b := body(t, get(t, s, "/lessons/"+l.ID+"?lang="+lang, nil))
			if !strings.Contains(b, `data-testid="narration"`) || !strings.Contains(b, `class="q-print"`) {
				t.Errorf("%s (%s): narration or questions missing", l.ID, lang)
			}
			if strings.Contains(b, "{cookie.") || strings.Contains(b, "{seq}") {
				t.Errorf("%s (%s): a placeholder was not filled", l.ID, lang)
			}
		}
	}
	b := body(t, get(t, s, "/?lang=zh", nil))
	if !strings.Contains(b, "三次握手") || !strings.Contains(b, `data-testid="scenarios"`) {
		t.Error("the catalogue lists lessons and the remaining scenarios")
	}
}

// A lesson's ranges are enforced with a visible note, and an inline-spec lesson plays.
func TestLessonRangesAndInlineSpec(t *testing.T) {
	s := NewServer(Config{})
	b := body(t, get(t, s, "/lessons/three-way-handshake?rtt=1ms&lang=en", nil))
	if !strings.Contains(b, "this lesson allows an RTT from 10ms to 500ms: using 10ms") {
		t.Fatal("an RTT below the lesson's range is not reported")
	}
	res := get(t, s, "/lessons/out-of-order?lang=zh&step=999", nil)
	if b := body(t, res); res.StatusCode != 200 || !strings.Contains(b, "乱序数据") || !strings.Contains(b, `data-segment="PSH ACK"`) {
		t.Fatalf("inline-spec lesson: status %d", res.StatusCode)
	}
	if res := get(t, s, "/lessons/out-of-order/capture.pcap", nil); res.StatusCode != 200 {
		t.Fatalf("capture of an inline-spec lesson: %d", res.StatusCode)
	}
}

// The comparison page and its JSON take a bad RTT or toggle without failing: the
// default is used and the page says what it did; the slider's ends are accepted.
func TestCompareParameters(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct {
		query   string
		rtt     int
		lose    bool
		problem string
	}{
		{"", 100, false, ""},
		{"rtt=10ms", 10, false, ""},
		{"rtt=500ms&lose=1", 500, true, ""},
		{"rtt=250", 250, false, ""},
		{"rtt=9ms", 10, false, "below"},
		{"rtt=2s", 500, false, "above"},
		{"rtt=fast", 100, false, "not a duration"},
		{"lose=maybe", 100, false, "want 1 or 0"},
	} {
		res := get(t, s, "/compare.json?"+tc.query, nil)
		var v CompareView
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil || res.StatusCode != 200 {
			t.Fatalf("%q: status %d, %v", tc.query, res.StatusCode, err)
		}
		if v.RTTms != tc.rtt || v.Lose != tc.lose || len(v.Rows) != len(handshakes.Variants) {
			t.Errorf("%q: rtt %d lose %v rows %d", tc.query, v.RTTms, v.Lose, len(v.Rows))
		}
		if got := strings.Join(v.Problems, ";"); tc.problem == "" && got != "" || !strings.Contains(got, tc.problem) {
			t.Errorf("%q: problems %q, want %q", tc.query, got, tc.problem)
		}
		page := body(t, get(t, s, "/compare?lang=zh&"+tc.query, nil))
		if tc.problem != "" && !strings.Contains(page, `data-testid="problems"`) {
			t.Errorf("%q: the page does not show the problem", tc.query)
		}
	}
}

// The comparison's columns share one time scale: an arrow's length in pixels is
// proportional to its time in flight, the same in every column; and each drawing has a
// text transcript with one line per packet.
func TestCompareColumnsShareOneScale(t *testing.T) {
	v, err := buildCompare(100*time.Millisecond, false, "en")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="([\d.]+)" marker-end`)
	var first float64
	for _, r := range v.Rows {
		m := re.FindAllStringSubmatch(r.SVG, -1)
		if len(m) == 0 || len(m) != len(r.Transcript) {
			t.Fatalf("%s: %d arrows, %d transcript lines", r.ID, len(m), len(r.Transcript))
		}
		y1, _ := strconv.ParseFloat(m[0][1], 64)
		y2, _ := strconv.ParseFloat(m[0][2], 64)
		if first == 0 {
			first = y2 - y1
		} else if d := (y2 - y1) - first; d < -0.2 || d > 0.2 {
			t.Errorf("%s: a one-way trip is %.1f px, in the first column %.1f px", r.ID, y2-y1, first)
		}
	}
}

// A TLS run's pcapng carries its key log in a Decryption Secrets Block.
func TestPcapngCarriesTheKeyLog(t *testing.T) {
	b := body(t, get(t, NewServer(Config{}), "/lessons/https-tls13/capture.pcapng", nil))
	if !strings.Contains(b, "CLIENT_HANDSHAKE_TRAFFIC_SECRET") || !strings.Contains(b, "SERVER_TRAFFIC_SECRET_0") {
		t.Fatal("no TLS 1.3 secrets in the capture")
	}
}

// The comparison shares its parsed transcripts between requests; concurrent slider
// moves from several readers get the same numbers (and -race watches the sharing).
func TestCompareConcurrentReaders(t *testing.T) {
	s := NewServer(Config{})
	want := body(t, get(t, s, "/compare.json?rtt=70ms", nil))
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/compare.json?rtt=70ms", nil)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			got[i] = w.Body.String()
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g != want {
			t.Errorf("reader %d got a different answer", i)
		}
	}
}

// A slow handshake used to crash the closing stories (they closed at a fixed 500 ms);
// their pages, drawings and captures now render at any RTT.
func TestSlowHandshakeClosingPages(t *testing.T) {
	s := NewServer(Config{})
	for _, path := range []string{
		"/lessons/simultaneous-close?rtt=500ms",
		"/lessons/simultaneous-close?rtt=450ms&profile=rfc",
		"/lessons/orphan-fin-wait-2?rtt=490ms",
		"/lessons/simultaneous-close/diagram.svg?rtt=2s",
		"/lessons/orphan-fin-wait-2/capture.pcap?rtt=1s",
	} {
		if res := get(t, s, path, nil); res.StatusCode != 200 {
			t.Errorf("GET %s: status %d, want 200", path, res.StatusCode)
		}
	}
}

// A flood is drawn in bundles, and the page offers every segment on request (expand=1),
// with a way back; a story with no bundle offers neither.
func TestFloodBundlesExpand(t *testing.T) {
	s := NewServer(Config{})
	b := body(t, get(t, s, "/lessons/syn-flood?lang=en", nil))
	m := regexp.MustCompile(`href="([^"]+)" data-testid="expand"`).FindStringSubmatch(b)
	if m == nil || !strings.Contains(m[1], "expand=1") {
		t.Fatalf("the flood page offers no way to draw every segment")
	}
	bundles := strings.Count(b, `class="sa-bundle`)
	arrows := strings.Count(b, `class="sa-seg`)
	e := body(t, get(t, s, html.UnescapeString(m[1]), nil))
	if strings.Count(e, `class="sa-bundle`) != 0 || strings.Count(e, `class="sa-seg`) <= arrows || bundles == 0 {
		t.Errorf("expand=1 still draws bundles or no more arrows (bundles %d, arrows %d → %d)", bundles, arrows, strings.Count(e, `class="sa-seg`))
	}
	if !strings.Contains(e, `data-testid="expand"`) || strings.Contains(regexp.MustCompile(`href="[^"]+" data-testid="expand"`).FindString(e), "expand=1") {
		t.Error("the expanded flood offers no way back to bundles")
	}
	if strings.Contains(body(t, get(t, s, "/lessons/three-way-handshake?lang=en", nil)), `data-testid="expand"`) {
		t.Error("a story without bundles offers to expand them")
	}
}

// The bars' scale is the slowest row's round trips, rounded up, never under MinBarRTTs.
func TestBarScale(t *testing.T) {
	for _, c := range []struct {
		rtts []float64
		want int
	}{
		{nil, MinBarRTTs},
		{[]float64{1, 2, 4}, MinBarRTTs},
		{[]float64{2, 4.01}, 5},
		{[]float64{3, 5}, 5},
		{[]float64{7.2, 1}, 8},
	} {
		var rows []CompareRow
		for _, r := range c.rtts {
			var row CompareRow
			row.RTTsToFirstResponseByte = r
			rows = append(rows, row)
		}
		if got := barScale(rows); got != c.want {
			t.Errorf("barScale(%v) = %d, want %d", c.rtts, got, c.want)
		}
	}
}

// Every card of the catalogue carries a picture of its story: the arrows of its default
// run, as many as the layout the page opens with draws.
func TestIndexCardsHaveTheirPictures(t *testing.T) {
	s := NewServer(Config{})
	page := body(t, get(t, s, "/?lang=en", nil))
	cards := regexp.MustCompile(`(?s)<li class="card" data-testid="card"><a href="/lessons/([a-z0-9-]+)\?lang=en">(.*?)</a></li>`).FindAllStringSubmatch(page, -1)
	if len(cards) < 30 {
		t.Fatalf("%d cards", len(cards))
	}
	for _, c := range cards {
		id, inner := c[1], c[2]
		if !strings.HasPrefix(inner, `<svg class="sa-thumb"`) {
			t.Errorf("card %s has no picture first", id)
			continue
		}
		st, ok := s.lookup(id)
		if !ok {
			t.Fatalf("card %s names no story", id)
		}
		tr, err := st.run(engine.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, it := range diagram.Build(tr, diagram.Options{}).Items {
			if it.Kind == "segment" {
				want++
			}
		}
		if got := strings.Count(inner, `class="sa-seg`); got != min(want, diagram.MaxThumbArrows) {
			t.Errorf("card %s: %d arrows in its picture, its diagram has %d", id, got, want)
		}
	}
}

// A lesson's related list may name a story told without a lesson: four-way-close
// links to the half-close story, under the story's own title in each language.
func TestRelatedNamesAStory(t *testing.T) {
	s := NewServer(Config{})
	for lang, title := range map[string]string{"en": "Half-close", "zh": "半关闭"} {
		page := body(t, get(t, s, "/lessons/four-way-close?lang="+lang, nil))
		link := `href="/lessons/half-close?lang=` + lang + `"`
		i := strings.Index(page, link)
		if i < 0 {
			t.Fatalf("%s: no link to the half-close story", lang)
		}
		if end := min(len(page), i+300); !strings.Contains(page[i:end], title) {
			t.Errorf("%s: the link does not carry the story's title %q: %s", lang, title, page[i:end])
		}
	}
}
