package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"synack/engine"
	"synack/lessons/stories"
)

// ccCell is the value a side's cell of a summary row shows.
func ccCell(t *testing.T, page, row, side string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr data-row="` + row + `">.*?<td data-side="` + side + `">(.*?)</td>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s cell for %s", row, side)
	}
	return html.UnescapeString(m[1])
}

// The side-by-side runs the story under both profiles and its summary is each profile's
// rule applied to the run: for one loss mid-window, Reno's ssthresh is half the flight
// at the loss, at least two segments (RFC 5681 §3.1 equation 4), the new data limited
// transmit sent beyond cwnd left out (§3.2 step 2), and CUBIC's 717/1024
// of the window in whole segments (tcp_cubic.c; β 0.7, RFC 9438 §4.6). The numbers the
// rules take are read here from the traces themselves, not from the page.
func TestLabCCSummaryFollowsTheRules(t *testing.T) {
	s := NewServer(Config{})
	res := get(t, s, "/lab/cc?lang=en", nil)
	page := body(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, page)
	}
	for _, want := range []string{`data-testid="cc-side-rfc"`, `data-testid="cc-side-linux"`, `data-testid="cc-plot-rfc-tsg"`,
		`data-testid="cc-plot-rfc-cwnd"`, `data-testid="cc-plot-linux-tsg"`, `data-testid="cc-plot-linux-cwnd"`, `id="labcc"`, `data-testid="cc-time"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	sums := map[string]engine.TransferSummary{}
	for _, prof := range []string{"rfc", "linux"} {
		p := engine.DefaultParams()
		p.Profile = prof
		tr, err := stories.Default().Run(DefaultCCStory, p)
		if err != nil {
			t.Fatal(err)
		}
		// The flight and the window at the first retransmission, from the trace.
		var flight, cwnd, mss uint32
		for _, sg := range tr.Segments() {
			if sg.Src != "server" || len(sg.Seg.Payload) == 0 {
				continue
			}
			mss = max(mss, uint32(len(sg.Seg.Payload)))
			if sg.Retransmit {
				flight = sg.CC.InFlight
				break
			}
			cwnd = sg.CC.Cwnd
		}
		var want uint32
		if prof == "rfc" {
			want = max(min(flight, cwnd)/2, 2*mss)
		} else {
			want = max(cwnd/mss*717/1024, 2) * mss
		}
		if got := ccCell(t, page, "ssthresh", prof); !strings.HasPrefix(got, fmt.Sprintf("%d = ", want)) {
			t.Errorf("%s: ssthresh cell %q, want %d (flight %d, cwnd %d)", prof, got, want, flight, cwnd)
		}
		// One segment of the story is lost; its one retransmission repairs it.
		if got := ccCell(t, page, "retransmissions", prof); got != "1 (1 lost)" {
			t.Errorf("%s: retransmissions %q, want 1 (1 lost)", prof, got)
		}
		if got := ccCell(t, page, "found", prof); !strings.HasPrefix(got, "duplicate ACKs") {
			t.Errorf("%s: found by %q, want duplicate ACKs (RFC 5681 §3.2)", prof, got)
		}
		sums[prof], _ = engine.SummarizeTransfer(tr)
	}
	// CUBIC finishes first here; by then it has delivered everything and Reno less.
	if got := ccCell(t, page, "delivered", "linux"); !strings.HasSuffix(got, "(100 %)") {
		t.Errorf("linux delivered %q by its own finish, want all of it", got)
	}
	if got := ccCell(t, page, "delivered", "rfc"); strings.HasSuffix(got, "(100 %)") {
		t.Errorf("rfc delivered %q by the linux run's finish, want less than all", got)
	}
	why := page[strings.Index(page, `data-testid="cc-why"`):]
	for _, want := range []string{"CUBIC (linux) finished", "717/1024", "RFC 5681", "equation 4", "PRR (RFC 6937)",
		fmt.Sprintf("%d → %d bytes", sums["rfc"].Loss.SetFlight, sums["rfc"].Loss.Ssthresh)} {
		if !strings.Contains(why, want) {
			t.Errorf("the reasons lack %q", want)
		}
	}
}

// A lost tail: the reasons name the probe and the retransmission timer; in Chinese too.
func TestLabCCTailReasons(t *testing.T) {
	s := NewServer(Config{})
	page := body(t, get(t, s, "/lab/cc?story=tail-loss-probe&lang=zh", nil))
	if got := ccCell(t, page, "found", "linux"); !strings.HasPrefix(got, "尾部丢失探测") {
		t.Errorf("linux found by %q, want the probe", got)
	}
	if got := ccCell(t, page, "found", "rfc"); !strings.HasPrefix(got, "重传计时器") {
		t.Errorf("rfc found by %q, want the retransmission timer", got)
	}
	if !strings.Contains(page, "RFC 8985 §7") || !strings.Contains(page, "RFC 6298 §2.4") {
		t.Error("the reasons do not cite the probe's and the timer's RFCs")
	}
}

// The address holds the comparison: the knobs carry over to the form, the lab's link
// and the share link; a bad value is said in the reader's language and replaced.
func TestLabCCAddress(t *testing.T) {
	s := NewServer(Config{})
	page := body(t, get(t, s, "/lab/cc?story=bulk-transfer&rtt=80ms&seed=3&loss=0.01&rate=5&queue=40&lang=en", nil))
	for _, want := range []string{`value="bulk-transfer" selected`, `name="rtt" min="1" max="2000" step="any" value="80"`,
		`name="seed" min="0" value="3"`, `value="0.01"`, `value="5"`, `value="40"`,
		`href="/lab?lang=en&amp;loss=0.01&amp;queue=40&amp;rate=5&amp;rtt=80ms&amp;seed=3"`,
		`href="/lab/cc?lang=en&amp;loss=0.01&amp;queue=40&amp;rate=5&amp;rtt=80ms&amp;seed=3&amp;story=bulk-transfer"`,
		`href="/lessons/bulk-transfer?lang=en&amp;loss=0.01&amp;profile=rfc&amp;queue=40&amp;rate=5&amp;rtt=80ms&amp;seed=3"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, c := range []struct{ query, want string }{
		{"story=three-way-handshake&lang=en", `story=&#34;three-way-handshake&#34; is not a data-phase story; showing sack-recovery`},
		{"story=three-way-handshake&lang=zh", `story=&#34;three-way-handshake&#34; 不是数据传输阶段的故事`},
		{"rtt=fast&lang=en", "rtt"},
		{"loss=0.9&lang=zh", "0.9"},
		{"profile=rfc&lang=en", "profile=rfc is ignored here"},
		{"profile=linux&lang=zh", "这里忽略 profile=linux"},
	} {
		res := get(t, s, "/lab/cc?"+c.query, nil)
		page := body(t, res)
		if res.StatusCode != 200 || !strings.Contains(page, `data-testid="problems"`) || !strings.Contains(page, c.want) {
			t.Errorf("%s: status %d, want the problem %q on the page", c.query, res.StatusCode, c.want)
		}
	}
}

// Each side's figures are served as SVG in the common frame; a side that is not one is
// a 400 that says which sides there are, in the reader's language.
func TestLabCCPlotSVG(t *testing.T) {
	s := NewServer(Config{})
	ticks := regexp.MustCompile(`<text class="sa-pl-tick" x="([0-9.]+)" y="[0-9.]+" text-anchor="middle">([^<]*)</text>`)
	axis := map[string]string{}
	for _, side := range []string{"rfc", "linux"} {
		for _, kind := range []string{"tsg", "cwnd"} {
			res := get(t, s, "/lab/cc/"+kind+".svg?side="+side+"&story=tail-loss-probe&lang=zh", nil)
			b := body(t, res)
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(b, "时间（秒）") {
				t.Fatalf("%s %s: status %d, %s", side, kind, res.StatusCode, res.Header.Get("Content-Type"))
			}
			axis[side+kind] = fmt.Sprint(ticks.FindAllStringSubmatch(b, -1))
		}
	}
	// One time axis: the same ticks at the same places on all four.
	if axis["rfctsg"] != axis["linuxtsg"] || axis["rfctsg"] != axis["rfccwnd"] || axis["rfccwnd"] != axis["linuxcwnd"] {
		t.Errorf("the time axes differ: %v", axis)
	}
	for lang, want := range map[string]string{"en": "give side=rfc or side=linux", "zh": "请给出 side=rfc 或 side=linux"} {
		res := get(t, s, "/lab/cc/tsg.svg?side=reno&lang="+lang, nil)
		if b := body(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, want) {
			t.Errorf("side=reno (%s): status %d, %q", lang, res.StatusCode, b)
		}
	}
}

// The page's figures share one frame: the same time ticks and slider stops for both
// runs, and one value scale per kind of figure.
func TestLabCCCommonFrame(t *testing.T) {
	s := NewServer(Config{})
	page := body(t, get(t, s, "/lab/cc?story=rto-backoff", nil))
	m := regexp.MustCompile(`(?s)<script id="labcc" type="application/json">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no figures' data on the page")
	}
	type plot struct {
		XT   []map[string]any `json:"xt"`
		YT   []map[string]any `json:"yt"`
		Area [4]float64       `json:"area"`
	}
	var d struct {
		RFC    map[string]plot `json:"rfc"`
		Linux  map[string]plot `json:"linux"`
		Cursor []ccStop        `json:"cursor"`
	}
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tsg", "cwnd"} {
		a, b := d.RFC[k], d.Linux[k]
		if fmt.Sprint(a.XT) != fmt.Sprint(b.XT) || fmt.Sprint(a.YT) != fmt.Sprint(b.YT) || len(a.XT) == 0 {
			t.Errorf("%s: the two runs' axes differ: %v %v / %v %v", k, a.XT, b.XT, a.YT, b.YT)
		}
	}
	if len(d.Cursor) != CCCursorStops || d.Cursor[0].X != d.RFC["tsg"].Area[0] || d.Cursor[CCCursorStops-1].X != d.RFC["tsg"].Area[2] {
		t.Errorf("the slider has %d stops from %v, want %d across the area %v", len(d.Cursor), d.Cursor[0], CCCursorStops, d.RFC["tsg"].Area)
	}
}

// A dead path: both runs back off, and the reasons say that the timer's timing decides,
// with each run's count of timeouts; Linux's threshold is 717/1024 of the window at its
// first timeout (its probe before that cut nothing).
func TestLabCCOutageReasons(t *testing.T) {
	s := NewServer(Config{})
	page := body(t, get(t, s, "/lab/cc?story=rto-backoff&lang=en", nil))
	p := engine.DefaultParams()
	p.Profile = "linux"
	tr, err := stories.Default().Run("rto-backoff", p)
	if err != nil {
		t.Fatal(err)
	}
	lin, _ := engine.SummarizeTransfer(tr)
	mss := uint32(lin.MSS)
	want := max(lin.Loss.SetCwnd/mss*717/1024, 2) * mss
	if got := ccCell(t, page, "ssthresh", "linux"); got != fmt.Sprintf("%d = max(⌊%d × 717/1024⌋, 2) × %d (cwnd %d)", want, lin.Loss.SetCwnd/mss, mss, lin.Loss.SetCwnd) {
		t.Errorf("linux ssthresh cell %q, want %d from cwnd %d", got, want, lin.Loss.SetCwnd)
	}
	if !strings.Contains(page, "RFC 6298 §5.5") || !strings.Contains(page, fmt.Sprintf("CUBIC %d times", lin.Timeouts)) {
		t.Errorf("the reasons do not name the backoff with CUBIC's %d timeouts", lin.Timeouts)
	}
}

// The side-by-side is reached from the lab and from a data story's figures, with the
// network the reader set (not the profile: both run).
func TestLabCCLinks(t *testing.T) {
	s := NewServer(Config{})
	lab := body(t, get(t, s, "/lab?lang=zh&loss=0.02&rate=5&queue=30&rtt=80ms&seed=4&profile=rfc", nil))
	if want := `href="/lab/cc?lang=zh&amp;loss=0.02&amp;queue=30&amp;rate=5&amp;rtt=80ms&amp;seed=4"`; !strings.Contains(lab, want) {
		t.Errorf("the lab lacks %s", want)
	}
	lesson := body(t, get(t, s, "/lessons/tail-loss-probe?lang=en&profile=rfc&rtt=120ms&seed=2", nil))
	if want := `href="/lab/cc?lang=en&amp;rtt=120ms&amp;seed=2&amp;story=tail-loss-probe" data-testid="plot-cc"`; !strings.Contains(lesson, want) {
		t.Errorf("the lesson lacks %s", want)
	}
	if hs := body(t, get(t, s, "/lessons/three-way-handshake?lang=en", nil)); strings.Contains(hs, `data-testid="plot-cc"`) {
		t.Error("a handshake lesson links to the side-by-side")
	}
}

// A small exchange: the initial windows (RFC 6928's 10 segments, RFC 5681's 3) do not
// limit 400 bytes, so the reasons leave them out and name the delayed ACK.
func TestLabCCSmallTransferReasons(t *testing.T) {
	s := NewServer(Config{})
	page := body(t, get(t, s, "/lab/cc?story=nagle-delayed-ack&lang=en", nil))
	why, _, _ := strings.Cut(page[strings.Index(page, `data-testid="cc-why"`):], "</section>")
	if strings.Contains(why, "window of 10 segments") || !strings.Contains(why, "delayed ACK is 40 ms") {
		t.Errorf("the reasons for a 400-byte exchange: %s", why[:min(len(why), 1500)])
	}
	if bulk := body(t, get(t, s, "/lab/cc?story=bulk-transfer&lang=en", nil)); !strings.Contains(bulk, "window of 10 segments (RFC 6928)") {
		t.Error("the reasons for a bulk transfer leave out the initial windows")
	}
}
