package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/handshakes"
	"synack/templates"
)

// Geometry of one comparison column. Every column shares one time scale: the slowest
// variant's first response byte fills CompareHeight.
const (
	CompareWidth   = 250.0
	CompareHeight  = 420.0
	compareTop     = 34.0
	compareLaneL   = 40.0
	compareLaneR   = 210.0
	compareMaxTick = 12 // at most this many round-trip rules
)

// CompareView is the comparison at one RTT: what the page renders and /compare.json sends.
type CompareView struct {
	RTTms    int          `json:"rtt_ms"`
	Lose     bool         `json:"lose"`
	Problems []string     `json:"problems,omitempty"`
	Rows     []CompareRow `json:"rows"`
}

// CompareRow is one variant: its numbers, its drawing and a text transcript of it.
type CompareRow struct {
	ID                      string   `json:"id"`
	Title                   string   `json:"title"`
	Modelled                bool     `json:"modelled"`
	HandshakePackets        int      `json:"handshake_packets"`
	RTTsBeforeRequest       float64  `json:"rtts_before_request"`
	RTTsToFirstResponseByte float64  `json:"rtts_to_first_response_byte"`
	HandshakeBytes          int      `json:"handshake_bytes"`
	RequestMs               float64  `json:"request_ms"`
	FirstByteMs             float64  `json:"first_byte_ms"`
	Lost                    int      `json:"lost"`
	SVG                     string   `json:"svg"`
	Transcript              []string `json:"transcript"`
	PlayerURL               string   `json:"player_url"`
}

// parseCompare reads ?rtt= and ?lose=; a bad value is replaced by the default and said.
func parseCompare(q url.Values, lang string) (time.Duration, bool, []string) {
	rtt := 100 * time.Millisecond
	var problems []string
	say := func(en, zh string) {
		problems = append(problems, engine.Text{EN: en, ZH: zh}.In(lang))
	}
	if s := q.Get("rtt"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			if ms, err2 := strconv.Atoi(s); err2 == nil {
				d, err = time.Duration(ms)*time.Millisecond, nil
			}
		}
		switch {
		case err != nil:
			say(fmt.Sprintf("rtt %q is not a duration such as 80ms: using 100ms", s), fmt.Sprintf("rtt %q 不是形如 80ms 的时长：改用 100ms", s))
		case d < handshakes.MinCompareRTT || d > handshakes.MaxCompareRTT:
			c := min(max(d, handshakes.MinCompareRTT), handshakes.MaxCompareRTT)
			say(fmt.Sprintf("rtt %s is outside %s–%s: using %s", d, handshakes.MinCompareRTT, handshakes.MaxCompareRTT, c),
				fmt.Sprintf("rtt %s 超出 %s–%s：改用 %s", d, handshakes.MinCompareRTT, handshakes.MaxCompareRTT, c))
			rtt = c
		default:
			rtt = d.Round(time.Millisecond)
		}
	}
	lose := false
	switch s := q.Get("lose"); s {
	case "", "0", "false", "off":
	case "1", "true", "on":
		lose = true
	default:
		say(fmt.Sprintf("lose %q: want 1 or 0; no packet is lost", s), fmt.Sprintf("lose %q：应为 1 或 0；不丢包", s))
	}
	return rtt, lose, problems
}

// buildCompare runs every variant and draws it.
func buildCompare(rtt time.Duration, lose bool, lang string) (CompareView, error) {
	rows, err := handshakes.Compare(rtt, lose)
	if err != nil {
		return CompareView{}, err
	}
	v := CompareView{RTTms: int(rtt / time.Millisecond), Lose: lose}
	var maxUs int64
	for _, r := range rows {
		maxUs = max(maxUs, r.FirstByteAtUs)
	}
	pxPerUs := (CompareHeight - compareTop - 16) / float64(maxUs)
	for _, r := range rows {
		q := url.Values{"rtt": {fmt.Sprintf("%dms", v.RTTms)}, "lang": {lang}}
		cr := CompareRow{
			ID: r.ID, Title: r.Title.In(lang), Modelled: r.Modelled,
			HandshakePackets: r.HandshakePackets, RTTsBeforeRequest: r.RTTsBeforeRequest,
			RTTsToFirstResponseByte: r.RTTsToFirstResponseByte, HandshakeBytes: r.HandshakeBytes,
			RequestMs: float64(r.RequestAtUs) / 1000, FirstByteMs: float64(r.FirstByteAtUs) / 1000, Lost: r.Lost,
			PlayerURL: "/lessons/" + r.ID + "?" + q.Encode(),
		}
		cr.SVG, cr.Transcript = compareSVG(r.Trace, r.Result.RequestAtUs, r.FirstByteAtUs, rtt, pxPerUs, cr.Title, lang)
		v.Rows = append(v.Rows, cr)
	}
	return v, nil
}

var bracketed = regexp.MustCompile(`\[[^\]]*\]`)

// shortLabel names a packet in a few characters: TCP flags, the first TLS message and
// how many more, or the QUIC packet types.
func shortLabel(ev *engine.SegmentEvent) string {
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

// packetClass sorts packets into what the legend colours.
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

// compareSVG draws one variant on the shared scale, up to its first response byte.
func compareSVG(tr *engine.Trace, requestUs, firstUs int64, rtt time.Duration, pxPerUs float64, title, lang string) (string, []string) {
	var b bytes.Buffer
	y := func(us int64) float64 { return compareTop + float64(us)*pxPerUs }
	fmt.Fprintf(&b, `<svg class="cmp" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		CompareWidth, CompareHeight, CompareWidth, CompareHeight, esc(title))
	fmt.Fprintf(&b, `<text class="cmp-lane" x="%.0f" y="14" text-anchor="middle">%s</text><text class="cmp-lane" x="%.0f" y="14" text-anchor="middle">%s</text>`,
		compareLaneL, pick(lang, "client", "客户端"), compareLaneR, pick(lang, "server", "服务器"))
	// Round-trip rules, so the reader can count.
	rttUs := int64(rtt / time.Microsecond)
	every := int64(math.Ceil(float64(firstUs) / float64(rttUs) / compareMaxTick))
	for k := int64(1); k*rttUs <= firstUs+rttUs/2 && k <= 64; k++ {
		if k%max(every, 1) != 0 {
			continue
		}
		yy := y(k * rttUs)
		if yy > CompareHeight-4 {
			break
		}
		fmt.Fprintf(&b, `<g class="cmp-rule"><line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="2" y="%.1f">%d RTT</text></g>`,
			compareLaneL, compareLaneR, yy, yy, yy-2, k)
	}
	fmt.Fprintf(&b, `<line class="cmp-life" x1="%.0f" x2="%.0f" y1="20" y2="%.0f"/><line class="cmp-life" x1="%.0f" x2="%.0f" y1="20" y2="%.0f"/>`,
		compareLaneL, compareLaneL, CompareHeight, compareLaneR, compareLaneR, CompareHeight)
	var lines []string
	lastY := map[string]float64{}
	stack := map[string]int{}
	for i := range tr.Events {
		e := &tr.Events[i]
		if e.Kind != engine.EventSegment {
			continue
		}
		ev, at := e.Segment, int64(e.At)
		if at > firstUs {
			break
		}
		x1, x2 := compareLaneL, compareLaneR
		if ev.Src == "server" {
			x1, x2 = compareLaneR, compareLaneL
		}
		y1, y2 := y(at), y(int64(ev.Arrive))
		lost := ev.Fate != engine.Delivered
		if lost {
			x2, y2 = (x1+x2)/2, (y1+y2)/2
		}
		cls := packetClass(ev)
		label := shortLabel(ev)
		if ev.Retransmit || strings.Contains(ev.Label, "resent") {
			label += pick(lang, " (again)", "（重传）")
		}
		dir := ev.Src
		if prev, ok := lastY[dir]; ok && y1-prev < 12 {
			stack[dir]++
		} else {
			stack[dir] = 0
		}
		lastY[dir] = y1
		lx := x1 + (x2-x1)*0.5
		ly := y1 + (y2-y1)*0.5 - 4 + 11*float64(stack[dir]%3)
		angle := math.Atan2(y2-y1, x2-x1) * 180 / math.Pi
		if angle > 90 || angle < -90 {
			angle -= 180 * math.Copysign(1, angle)
		}
		desc := fmt.Sprintf("%.1f ms %s → %s: %s, %d B", float64(at)/1000, ev.Src, ev.Dst, shortLabel(ev), len(ev.Seg.Payload))
		if ev.Label != "" {
			desc = fmt.Sprintf("%.1f ms %s → %s: %s (%d B)", float64(at)/1000, ev.Src, ev.Dst, ev.Label, len(ev.Seg.Payload))
		}
		if lost {
			desc += pick(lang, " — lost", " —— 丢失")
		}
		lines = append(lines, desc)
		marker := ` marker-end="url(#cmp-arrow)"`
		if lost {
			marker = ""
		}
		fmt.Fprintf(&b, `<g class="cmp-pkt %s" data-packet="%s"><title>%s</title><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"%s/>`,
			cls, esc(label), esc(desc), x1, y1, x2, y2, marker)
		if lost {
			fmt.Fprintf(&b, `<path class="cmp-cross" d="M%.1f,%.1fl8,8m0,-8l-8,8"/>`, x2-4, y2-4)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" transform="rotate(%.1f %.1f %.1f)">%s</text></g>`,
			lx, ly, angle, lx, ly, esc(label))
	}
	// The two moments the numbers under the diagram count.
	mark := func(us int64, x float64, cls, text string) {
		yy := y(us)
		fmt.Fprintf(&b, `<g class="cmp-mark %s"><circle cx="%.0f" cy="%.1f" r="4"/><text x="%.0f" y="%.1f" text-anchor="%s">%s</text></g>`,
			cls, x, yy, x+map[bool]float64{true: -7, false: 7}[x > CompareWidth/2], yy+4, map[bool]string{true: "end", false: "start"}[x > CompareWidth/2], esc(text))
	}
	mark(requestUs, compareLaneL, "cmp-request", "")
	mark(firstUs, compareLaneL, "cmp-first", fmt.Sprintf("%.0f ms", float64(firstUs)/1000))
	b.WriteString(`<defs><marker id="cmp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs></svg>`)
	return b.String(), lines
}

func pick(lang, en, zh string) string {
	if lang == "zh" {
		return zh
	}
	return en
}

func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (s *Server) handleCompare(embed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.compare(w, r, embed) }
}

// compare renders the comparison; embedded, for a course page's iframe, it has no site
// navigation and links back to the full page.
func (s *Server) compare(w http.ResponseWriter, r *http.Request, embed bool) {
	p := page(w, r, T(mustLang(r), "compare.title"), embed)
	rtt, lose, problems := parseCompare(r.URL.Query(), p.Lang)
	v, err := buildCompare(rtt, lose, p.Lang)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v.Problems = problems
	vm := toCompareVM(p, v)
	q := url.Values{"rtt": {fmt.Sprintf("%dms", v.RTTms)}, "lang": {p.Lang}}
	if lose {
		q.Set("lose", "1")
	}
	vm.OpenURL = "/compare?" + q.Encode()
	render(w, r, http.StatusOK, templates.ComparePage(vm))
}

func (s *Server) handleCompareJSON(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	rtt, lose, problems := parseCompare(r.URL.Query(), lang)
	v, err := buildCompare(rtt, lose, lang)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v.Problems = problems
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func mustLang(r *http.Request) string {
	l, _ := pickLang(r)
	return l
}

func toCompareVM(p templates.Page, v CompareView) templates.Compare {
	c := templates.Compare{Page: p, RTTms: v.RTTms, Lose: v.Lose, Problems: v.Problems,
		MinRTTms: int(handshakes.MinCompareRTT / time.Millisecond), MaxRTTms: int(handshakes.MaxCompareRTT / time.Millisecond)}
	for _, r := range v.Rows {
		c.Rows = append(c.Rows, templates.CompareRow{
			ID: r.ID, Title: r.Title, Modelled: r.Modelled,
			Packets: strconv.Itoa(r.HandshakePackets), Before: fmt.Sprintf("%.2f", r.RTTsBeforeRequest),
			First: fmt.Sprintf("%.2f", r.RTTsToFirstResponseByte), Bytes: strconv.Itoa(r.HandshakeBytes),
			FirstMs: fmt.Sprintf("%.0f", r.FirstByteMs), SVG: r.SVG, Transcript: r.Transcript, PlayerURL: r.PlayerURL,
		})
	}
	return c
}
