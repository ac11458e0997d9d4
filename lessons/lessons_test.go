package lessons

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
	"synack/lessons/stories"
)

func catalogue(t *testing.T) *Catalogue {
	t.Helper()
	c, err := Load(Files(), stories.Default())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The catalogue covers issue 5's sixteen topics (some lessons cover two).
func TestCatalogueCoversTheTopics(t *testing.T) {
	c := catalogue(t)
	for _, id := range []string{"tcp-header", "three-way-handshake", "why-not-two", "initial-sequence-numbers",
		"data-on-third-ack", "four-way-close", "three-way-close", "time-wait", "simultaneous-open",
		"simultaneous-close", "connect-timeout", "syn-to-closed-port", "resets", "orphans", "state-machine",
		"syn-flood", "syn-cookies", "reading-tcpdump", "tls12", "tls13", "resumption-0rtt", "quic-http3",
		"sequence-space", "ecn-handshake", "time-wait-syn",
		// issue 20's new lessons
		"listen-backlog", "time-wait-in-practice", "keepalive-half-open", "close-with-unread-data",
		"syn-ack-lost", "tcp-fast-open"} {
		l, ok := c.Get(id)
		if !ok {
			t.Errorf("no lesson %q", id)
			continue
		}
		if len(l.Questions) < 2 {
			t.Errorf("%s has %d questions, want at least 2", id, len(l.Questions))
		}
	}
	for i := 1; i < len(c.All()); i++ {
		if c.All()[i].Order <= c.All()[i-1].Order {
			t.Fatalf("lessons out of order at %s", c.All()[i].ID)
		}
	}
}

// Each question's answer comes from the trace; here it is checked against the fact the
// lesson teaches, with its source. A regression in the engine fails the lesson.
func TestAnswersAreTheFacts(t *testing.T) {
	facts := map[string][]string{
		// RFC 9293 §3.5 Figure 6: SYN-RECEIVED after sending SYN,ACK; ESTABLISHED after the ACK.
		"tcp-header": {"SYN-RECEIVED", "ESTABLISHED"},
		// Figure 6; §3.10.7.3: SYN-SENT answers a SYN,ACK with an ACK.
		"three-way-handshake": {"SYN-RECEIVED", "ACK"},
		// Figure 8: a SYN-ACK for an old SYN draws RST; a passive SYN-RECEIVED returns to LISTEN.
		"why-not-two":              {"RST", "LISTEN"},
		"initial-sequence-numbers": {"SYN-RECEIVED", "ESTABLISHED"},
		// RFC 9293 §3.4: SYN and FIN occupy one sequence number, data one per byte, PSH,
		// ACK and RST none. (The fifth question is the rfc profile's RST: not asked here.)
		"sequence-space": {"1", "100", "1", "0", ""},
		// RFC 3168 §6.1.1: ECN-setup SYN has ECE and CWR, the SYN-ACK ECE only; neither
		// flag occupies sequence space.
		"ecn-handshake": {"SYN ECE CWR", "SYN ACK ECE", "1"},
		// RFC 7323 §5.3: an old duplicate with an older TSval is dropped and ACKed.
		// The retransmission, with a newer TSval, is accepted: the ACK moves 100 bytes.
		"paws": {"100", "ACK"},
		// RFC 9293 §3.10.7.4, Linux TCP_TW_SYN: a SYN above RCV.NXT reopens TIME-WAIT.
		"time-wait-syn": {"SYN ACK", "ok"},
		// §3.10.7.3 lets queued data ride on the ACK; then the server is ESTABLISHED.
		"data-on-third-ack": {"PSH ACK", "ESTABLISHED"},
		// §3.10.7.4 eighth step: FIN in ESTABLISHED → CLOSE-WAIT; the active closer ACKs the FIN.
		"four-way-close": {"CLOSE-WAIT", "ACK"},
		// Linux delays the ACK of a FIN (tcp_fin pingpong): an immediate close() sends FIN,ACK;
		// a FIN that ACKs ours takes FIN-WAIT-1 to TIME-WAIT.
		"three-way-close": {"FIN ACK", "TIME-WAIT"},
		// LAST-ACK retransmits its FIN; Linux TIME-WAIT is 60 s (TCP_TIMEWAIT_LEN).
		"time-wait": {"FIN ACK", "60"},
		// Figure 7: SYN in SYN-SENT → SYN-RECEIVED; the crossing SYN-ACK establishes.
		"simultaneous-open": {"SYN-RECEIVED", "ESTABLISHED"},
		// Figure 13: FIN in FIN-WAIT-1 not ACKing ours → CLOSING; its ACK → TIME-WAIT.
		"simultaneous-close": {"CLOSING", "TIME-WAIT"},
		// LINUX-FACTS: 11 SYNs (0,1,2,3,4,5,7,11,19,35,67 s), then ETIMEDOUT.
		"connect-timeout": {"11", "ETIMEDOUT"},
		// §3.10.7.1: RST,ACK for a SYN to no socket; connect() fails with ECONNREFUSED.
		"syn-to-closed-port": {"RST ACK", "ECONNREFUSED"},
		// RFC 5961 §3.2: an exact RST resets (ECONNRESET) and the TCB is gone (CLOSED).
		"resets": {"ECONNRESET", "CLOSED"},
		// Linux tcp_fin_timeout 60 s for an orphan; a FIN to no socket gets RST.
		"orphans": {"60", "RST"},
		// Figure 5: the active closer is in FIN-WAIT-1, the passive one in LAST-ACK.
		"state-machine": {"FIN-WAIT-1", "LAST-ACK"},
		// SYN queue full, cookies off: the client's SYNs are dropped; 11 SYNs, ETIMEDOUT.
		"syn-flood": {"ETIMEDOUT", "11"},
		// A valid cookie rebuilds ESTABLISHED; the first data is ACKed at once (quick ACK).
		"syn-cookies": {"ESTABLISHED", "ACK"},
		// The server's ISN for seed 1 is the number after "seq" in its SYN-ACK; [S.] is
		// SYN ACK; the relative ack is the peer's ISN + 1 less the ISN; Linux's wscale 10
		// makes "win 63" 63 × 1024 bytes (RFC 7323 §2.2).
		"reading-tcpdump": {"975768978", "SYN ACK", "1", "64512"},
		// RFC 5681 §4.2: out-of-order data is ACKed at once (a duplicate ACK); loss is
		// repaired inside ESTABLISHED. (An inline spec, not a built-in scenario.)
		// The segment that fills the hole is ACKed at once (RFC 5681 §4.2).
		"out-of-order": {"ACK", "ACK"},
		// The popular count: 3 (TCP) + 4 (TLS 1.2 flights) = 7; RFC 5246 §7.3 takes two
		// round trips after TCP's one, so the first byte comes after 4.
		"tls12": {"7", "4"},
		// RFC 8446 §2: one round trip of TLS, so 3 to the first byte; 6 packets (TCP's 3,
		// ClientHello, the server's flight, the client's Finished).
		"tls13": {"3", "6"},
		// RFC 8446 §2.3: 0-RTT data rides on the first flight; TCP still costs one RTT.
		// The ClientHello and the early request share the 4th packet.
		"resumption-0rtt": {"4", "2"},
		// RFC 9000/9001: Initial, Initial+Handshake, Handshake = 3; first byte after 2 RTT.
		"quic-http3": {"3", "2"},
		// RFC 6298 §2.1, §5.4: the client's 1 s timer fires first and resends the SYN;
		// the server resends its SYN-ACK (its timer, and Linux's tcp_check_req on the
		// retransmitted SYN: synack-on-retransmitted-syn.pkt); connect() succeeds.
		"syn-ack-lost": {"SYN", "SYN ACK", "ok"},
		// RFC 7413 §4.2.2: the SYN-ACK acknowledges the SYN and its 100 bytes; the
		// response leaves in SYN-RECEIVED (fastopen-server-data-in-syn.pkt).
		"tcp-fast-open": {"101", "PSH ACK"},
		// RFC 9293 §3.6.1 SHLD-2, Linux __tcp_close (close-with-unread-data.pkt): RST, not
		// FIN; the RST closes the peer at once and its next call fails with ECONNRESET.
		"close-with-unread-data": {"RST ACK", "CLOSED", "ECONNRESET"},
		// RFC 9293 §3.6: the side that closes first waits in TIME-WAIT; Linux's
		// TCP_TIMEWAIT_LEN is 60 s (time-wait-expiry.pkt).
		"time-wait-in-practice": {"server", "60"},
		// RFC 9293 §3.10.7.1: a probe (with ACK) to a rebooted peer draws a bare RST; the
		// prober's application sees ECONNRESET (keepalive-rebooted-peer.pkt).
		"keepalive-half-open": {"RST", "ECONNRESET"},
		// sk_acceptq_is_full is "> backlog": the fourth SYN is answered and connect()
		// succeeds; its final ACK and data are dropped and the request's timer resends
		// the SYN-ACK (accept-queue-overflow-final-ack.pkt).
		"listen-backlog": {"ok", "SYN ACK"},
		// The data phase. RFC 6928 (TCP_INIT_CWND): a first flight of 10 segments.
		"bulk-transfer": {"10"},
		// tcp_xmit_probe_skb: the probe is a bare ACK (zero-window-probe.pkt); the read that
		// reopens the window sends an ACK at once (tcp_cleanup_rbuf, checked on the kernel).
		"zero-window": {"ACK", "ACK"},
		// TCP_DELACK_MIN = HZ/25 = 40 ms holds the ACK that Nagle waits for.
		"nagle-delayed-ack": {"40 ms"},
		// RFC 6675 DupThresh 3 (Linux tcp_reordering 3); CUBIC's β = 717/1024 (RFC 9438
		// §4.6, tcp_cubic.c).
		"sack-recovery": {"3", "cwnd × 0.7"},
		// RFC 8985 §7: Linux finds a lost tail with a probe, not the RTO.
		"tail-loss-probe": {"probe"},
		// RFC 6298 §5.5: each expiry doubles the timer.
		"rto-backoff": {"2"},
	}
	c := catalogue(t)
	for _, l := range c.All() {
		want, ok := facts[l.ID]
		if !ok {
			t.Errorf("lesson %s has no facts in this test", l.ID)
			continue
		}
		tr, err := l.Run(engine.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		_, qs := l.Resolve(tr)
		if len(qs) != len(want) {
			t.Errorf("%s: %d questions, the test knows %d", l.ID, len(qs), len(want))
			continue
		}
		for i, q := range qs {
			if q.Answer != want[i] {
				t.Errorf("%s question %d: the trace answers %q, the fact is %q", l.ID, i+1, q.Answer, want[i])
			}
		}
	}
}

// With other parameters a step whose event is gone is marked, not an error: the RFC
// profile's 4-minute TIME-WAIT changes the answer to the time-wait question.
func TestResolveWithOtherParameters(t *testing.T) {
	l, _ := catalogue(t).Get("time-wait")
	p := engine.DefaultParams()
	p.Profile = "rfc"
	tr, err := l.Run(p)
	if err != nil {
		t.Fatal(err)
	}
	_, qs := l.Resolve(tr)
	if qs[1].Answer != "240" {
		t.Fatalf("rfc profile TIME-WAIT answer %q, want 240 (2 × MSL)", qs[1].Answer)
	}
	// With the reader's first SYN dropped there are two SYNs: the narration of
	// "@segment SYN" stays, on the first one.
	hs, _ := catalogue(t).Get("three-way-handshake")
	p = engine.DefaultParams()
	p.Drop = []int{1}
	tr, err = hs.Run(p)
	if err != nil {
		t.Fatal(err)
	}
	steps, _ := hs.Resolve(tr)
	first := -1
	for i, e := range tr.All() {
		if e.Kind == tcp.EventSegment && e.Segment.Seg.Flags == tcp.SYN {
			first = i
			break
		}
	}
	if first < 0 || steps[1].Event != first { // step 1 is "@segment SYN" (step 0 is LISTEN)
		t.Fatalf("the SYN step is at event %d, the first SYN is event %d", steps[1].Event, first)
	}
}

// The cookie lesson quotes the run's own numbers, and they add up.
func TestFillQuotesTheCookie(t *testing.T) {
	l, _ := catalogue(t).Get("syn-cookies")
	tr, _ := l.Run(engine.DefaultParams())
	steps, _ := l.Resolve(tr)
	text := Fill(l.Steps[1].Text.EN, tr, steps[1].Event)
	ck := tr.Event(steps[1].Event).Segment.Cookie
	if ck == nil || strings.Contains(text, "{cookie.") {
		t.Fatalf("placeholders left: %s", text)
	}
	want := ck.Hash1 + uint32(ck.ClientISN) + ck.Counter<<24 + ((ck.Hash2 + uint32(ck.MSSIndex)) & 0xFFFFFF)
	if tcp.Seq(want) != ck.ISN {
		t.Fatalf("cookie fields do not add up to the ISN")
	}
}

// A lesson may describe its scenario inline; a bad spec is reported at its line.
func TestInlineSpec(t *testing.T) {
	l, ok := catalogue(t).Get("out-of-order")
	if !ok || l.Spec == nil || l.Scenario != "" {
		t.Fatal("the out-of-order lesson should carry an inline spec")
	}
	src := "---\nid: x\ntitle.en: X\ntitle.zh: 叉\nsummary.en: s\nsummary.zh: 摘\nspec: {\"steps\": [{\"endpoint\": \"moon\", \"call\": \"close\"}]}\n---\n"
	_, err := Load(fstest.MapFS{"x.md": {Data: []byte(src)}}, stories.Default())
	var le *Error
	if !errors.As(err, &le) || le.Line != 7 || !strings.Contains(err.Error(), `endpoint "moon"`) {
		t.Fatalf("Load = %v; want x.md:7 naming the bad endpoint", err)
	}
}

// A lesson's parameter ranges are enforced.
func TestAllows(t *testing.T) {
	l, _ := catalogue(t).Get("three-way-handshake") // rtt: 10ms..500ms
	p := engine.DefaultParams()
	if ok, _ := l.Allows(p); !ok {
		t.Fatal("the default parameters must be allowed")
	}
	p.RTT = 5 * time.Millisecond
	if ok, param := l.Allows(p); ok || param != "rtt" {
		t.Fatalf("rtt 5ms: allowed %v (%s), want refused", ok, param)
	}
}

// The message anchors and the counting expressions work on a TLS run: the ServerHello
// arrives after 2 round trips (TCP's, then the ClientHello's), the server's flight is
// sent from the server, and a packet that carries nothing named is not a message.
func TestMessageAnchorsAndCounts(t *testing.T) {
	tr, err := stories.Default().Run("https-tls13", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ParseAnchor("@message ServerHello from server")
	i, err := a.Resolve(tr)
	if err != nil || tr.Event(i).Segment.Src != "server" {
		t.Fatalf("@message ServerHello: %v", err)
	}
	for expr, want := range map[string]string{
		"round trips until ServerHello arrives":              "2",
		"round trips until HTTP request from client arrives": "2.5",
		"packets before ClientHello":                         "3", // SYN, SYN-ACK, the ACK
		// The ServerHello's segment carries the rest of the server's flight, so it counts.
		"packets before ServerHello": "5",
	} {
		if got, err := Evaluate(expr, tr, i); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %s", expr, got, err, want)
		}
	}
	if _, err := Evaluate("round trips until HTTP request from server arrives", tr, i); err == nil {
		t.Error("the server sends no request, yet an answer came back")
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	head := "---\nid: x\ntitle.en: X\ntitle.zh: 叉\nsummary.en: s\nsummary.zh: 摘\nscenario: three-way-handshake\n---\n"
	step := "## step @segment SYN\nen: a\nzh: 甲\n"
	sources := "## sources\nen: RFC 9293\nzh: RFC 9293\n"
	for name, tc := range map[string]struct {
		src  string
		line int
		want string
	}{
		"no header":        {"hello\n", 1, "starts with a --- header"},
		"unknown key":      {"---\nid: x\ncolour: red\n---\n", 3, `unknown header key "colour"`},
		"unknown scenario": {strings.Replace(head, "three-way-handshake", "nope", 1) + step, 8, `unknown scenario "nope"`},
		"no match":         {head + "## step @segment RST\nen: a\nzh: 甲\n", 9, "matches no event"},
		"ambiguous":        {head + "## step @app client connect\nen: a\nzh: 甲\n", 9, "matches 2 events"},
		"missing zh":       {head + "## step @segment SYN\nen: only english\n", 9, "both en: and zh:"},
		"bad anchor":       {head + "## step @segment SYNACK\nen: a\nzh: 甲\n", 9, "not a flag name"},
		"bad state":        {head + "## step @state client OPEN\nen: a\nzh: 甲\n", 9, "not an RFC 9293 state"},
		"wrong answer": {head + step + "## question @segment SYN ACK\nask.en: q\nask.zh: 问\nchoices: LISTEN | ESTABLISHED\nanswer: state server after\nexplain.en: e\nexplain.zh: 解\n",
			12, `answer is "SYN-RECEIVED"`},
		"bad expression": {head + step + "## question @segment SYN ACK\nask.en: q\nask.zh: 问\nchoices: a | b\nanswer: colour of sky\nexplain.en: e\nexplain.zh: 解\n",
			12, "unknown expression"},
		"missing explain": {head + step + "## question @segment SYN ACK\nask.en: q\nask.zh: 问\nchoices: a | b\nanswer: state server after\n",
			12, "explain.en: and explain.zh:"},
		"stray text":      {head + "hello\n", 9, "outside a ## step"},
		"empty message":   {head + "## step @message\nen: a\nzh: 甲\n", 9, "name the message"},
		"no such message": {head + "## step @message ClientHello\nen: a\nzh: 甲\n", 9, "matches no event"},
		"no carried message": {head + step + "## question @segment SYN ACK\nask.en: q\nask.zh: 问\nchoices: 1 | 2\nanswer: round trips until ClientHello arrives\nexplain.en: e\nexplain.zh: 解\n",
			12, `no packet carries "ClientHello"`},
		"bad related":               {strings.Replace(head, "---\n", "---\nrelated: ghost\n", 1)[0:] + step + sources, 1, `related lesson or story "ghost"`},
		"no sources":                {head + step, 1, "## sources block"},
		"bad states size":           {strings.Replace(head, "---\n", "---\nstates: huge\n", 1)[0:] + step + sources, 2, `states: "huge" is not a size`},
		"sources with one language": {head + step + "## sources\nen: RFC 9293\n", 12, "## sources needs both"},
		"question for a profile the lesson lacks": {strings.Replace(head, "---\n", "---\nprofiles: linux\n", 1)[0:] + step + "## question @segment SYN ACK\nprofile: rfc\nask.en: q\nask.zh: 问\nchoices: SYN-RECEIVED | b\nanswer: state server after\nexplain.en: e\nexplain.zh: 解\n" + sources,
			13, "not one of the lesson's profiles"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"x.md": {Data: []byte(tc.src)}}, stories.Default())
			var le *Error
			if !errors.As(err, &le) || le.File != "x.md" || le.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v; want x.md:%d with %q", err, tc.line, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("---\nid: x\ntitle.en: X\ntitle.zh: 叉\nsummary.en: s\nsummary.zh: 摘\nscenario: three-way-handshake\n---\n## step @segment SYN\nen: a\nzh: 甲\n")
	f.Add("---\nrtt: 1ms..2s\n---\n## question @state client CLOSED #2\nchoices: a|b\n")
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Parse("f.md", []byte(src), stories.Default())
		var le *Error
		if err != nil && (!errors.As(err, &le) || le.Line < 0 || le.Line > strings.Count(src, "\n")+1) {
			t.Fatalf("error without a valid line: %v", err)
		}
	})
}

func FuzzAnchor(f *testing.F) {
	for _, s := range []string{"@segment SYN ACK from server #2", "@state client TIME-WAIT", "@app client connect ETIMEDOUT", "@segment id 7", "@x"} {
		f.Add(s)
	}
	tr, _ := stories.Default().Run("three-way-handshake", engine.DefaultParams())
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAnchor(s)
		if err != nil {
			return
		}
		if i, err := a.Resolve(tr); err == nil && (i < 0 || i >= tr.Len()) {
			t.Fatalf("Resolve(%q) = %d, outside the trace", s, i)
		}
	})
}

// TestChineseFollowsTheGlossary: every zh line of every lesson uses glossary/zh-CN.md's
// terms (a word it rules out may appear only inside the preferred term) and “ ” for
// quotation marks, never ASCII ". In the SYN-flood lessons the queue's entries are
// requests, not RFC 9293's half-open connections.
func TestChineseFollowsTheGlossary(t *testing.T) {
	src, err := os.ReadFile("glossary/zh-CN.md")
	if err != nil {
		t.Fatal(err)
	}
	type rule struct{ want, avoid string }
	var rules []rule
	// preferred are the terms of the second column: an avoided word may stand inside one
	// (报文 in ICMP's 差错报文), unless the term is part of the avoided word itself.
	var preferred []string
	for _, line := range strings.Split(string(src), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "English" {
			continue
		}
		want := strings.TrimSpace(cells[2])
		preferred = append(preferred, strings.Split(want, "、")...)
		for _, avoid := range strings.Split(cells[3], "、") {
			if avoid, _, _ = strings.Cut(strings.TrimSpace(avoid), "（"); avoid != "" {
				rules = append(rules, rule{want, avoid})
			}
		}
	}
	if len(rules) < 10 {
		t.Fatalf("read %d rules from the glossary; is its table intact?", len(rules))
	}
	c := catalogue(t)
	for _, l := range c.All() {
		texts := []string{l.Title.ZH, l.Summary.ZH, l.Sources.ZH}
		for _, st := range l.Steps {
			texts = append(texts, st.Text.ZH)
		}
		for _, q := range l.Questions {
			texts = append(texts, q.Ask.ZH, q.Explain.ZH)
			for _, ex := range q.ExplainIn {
				texts = append(texts, ex.ZH)
			}
		}
		for _, text := range texts {
			if strings.Contains(text, `"`) {
				t.Errorf("%s: ASCII quotation marks in Chinese text (use “ ”): %s", l.File, text)
			}
			for _, r := range rules {
				rest := text
				for _, want := range preferred {
					if strings.Contains(r.avoid, want) {
						continue // one inside the avoided word (半开连接 in 半开连接队列) excuses nothing
					}
					rest = strings.ReplaceAll(rest, want, "")
				}
				if strings.Contains(rest, r.avoid) {
					t.Errorf("%s: %q where the glossary says %q: %s", l.File, r.avoid, r.want, text)
				}
			}
		}
		if l.ID == "syn-flood" || l.ID == "syn-cookies" {
			for _, text := range texts {
				if strings.Contains(text, "半开连接") {
					t.Errorf("%s: 半开连接 is RFC 9293's half-open connection; a request in the SYN queue is 未完成的连接请求: %s", l.File, text)
				}
			}
		}
	}
	// The string catalogue (engine/catalog) speaks the same Chinese as the lessons.
	es, err := catalog.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		for _, r := range rules {
			rest := e.Text.ZH
			for _, want := range preferred {
				if strings.Contains(r.avoid, want) {
					continue // one inside the avoided word (半开连接 in 半开连接队列) excuses nothing
				}
				rest = strings.ReplaceAll(rest, want, "")
			}
			if strings.Contains(rest, r.avoid) {
				t.Errorf("engine/catalog/%s: %s: %q where the glossary says %q: %s", e.File, e.Key, r.avoid, r.want, e.Text.ZH)
			}
		}
	}
}

// The run-wide placeholders quote the run: on the SYN flood, the longest SYN queue and
// the SYN-ACKs that answered the first spoofed SYN, counted here from the trace's
// events directly.
func TestFillQuotesTheRun(t *testing.T) {
	tr, err := stories.Default().Run("syn-flood", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	evs := tr.Events(0, tr.Len())
	maxQ, synacks := 0, 0
	var first *tcp.SegmentEvent
	var times []string
	var t0 tcp.Time
	for i := range evs {
		e := &evs[i]
		if e.Kind == tcp.EventQueue && e.Endpoint == "server" {
			maxQ = max(maxQ, e.SynQueue)
		}
		if e.Kind != tcp.EventSegment {
			continue
		}
		if first == nil && e.Segment.Seg.Flags == tcp.SYN {
			first = e.Segment
		} else if first != nil && e.Segment.Seg.Flags == tcp.SYN|tcp.ACK && e.Segment.Seg.Ack == first.Seg.Seq+1 {
			if synacks == 0 {
				t0 = e.At
			}
			synacks++
			times = append(times, strconv.FormatFloat(e.At.Sub(t0).Seconds(), 'f', -1, 64))
		}
	}
	if maxQ == 0 || synacks < 2 {
		t.Fatalf("the flood has a SYN queue of %d and %d SYN-ACKs for its first SYN: not a flood", maxQ, synacks)
	}
	got := Fill("{run.syn_queue_max}|{run.first_request.synacks}|{run.first_request.times}", tr, -1)
	want := fmt.Sprintf("%d|%d|%s", maxQ, synacks, strings.Join(times, ", "))
	if got != want {
		t.Errorf("Fill = %q, want %q", got, want)
	}
}

// A list the run fills in is written as each language writes lists.
func TestFillRunListsInEachLanguage(t *testing.T) {
	tr, err := stories.Default().Run("syn-flood", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	en, zh := Fill("{run.first_request.times}", tr, -1), Fill("时间：{run.first_request.times}", tr, -1)
	if !strings.Contains(en, ", ") || strings.Contains(en, "、") || !strings.Contains(zh, "、") || strings.Contains(zh, ", ") {
		t.Errorf("English %q, Chinese %q: want 0, 1, 3 and 0、1、3", en, zh)
	}
}

// The data lessons' questions are asked under the rfc profile too, and its answers are
// the RFCs' facts: RFC 5681 §3.1's initial window, min(4·SMSS, max(2·SMSS, 4380 bytes)),
// is 4380 bytes, three segments of 1448; fast retransmit after DupThresh = 3 duplicate
// ACKs (RFC 5681 §3.2, RFC 6675) and ssthresh = FlightSize / 2 (RFC 5681 §3.1, equation
// 4); no tail loss probe, so the retransmission timer finds
// a lost tail (RFC 6298 §5); each expiry doubles the timer (RFC 6298 §5.5); a zero window
// is probed and a reopened one announced with a bare ACK (RFC 9293 §3.8.6.1, §3.10.7.4);
// the delayed ACK the rfc profile holds is BSD's 200 ms, under RFC 1122 §4.2.3.2's 500 ms.
func TestDataAnswersAreTheFactsUnderRFC(t *testing.T) {
	facts := map[string][]string{
		"bulk-transfer":     {"3"},
		"sack-recovery":     {"3", "FlightSize / 2"},
		"tail-loss-probe":   {"RTO"},
		"rto-backoff":       {"2"},
		"zero-window":       {"ACK", "ACK"},
		"nagle-delayed-ack": {"200 ms"},
	}
	c := catalogue(t)
	for id, want := range facts {
		l, ok := c.Get(id)
		if !ok {
			t.Fatalf("no lesson %s", id)
		}
		p := engine.DefaultParams()
		p.Profile = "rfc"
		tr, err := l.Run(p)
		if err != nil {
			t.Fatal(err)
		}
		_, qs := l.Resolve(tr)
		if len(qs) != len(want) {
			t.Errorf("%s: %d questions under the rfc profile, the test knows %d", id, len(qs), len(want))
			continue
		}
		for i, q := range qs {
			if q.Answer != want[i] {
				t.Errorf("%s question %d (rfc): the trace answers %q, the fact is %q", id, i+1, q.Answer, want[i])
			}
		}
	}
}

// A time in an explanation reads as a person writes it, to the millisecond.
func TestSecondsReadAsDecimals(t *testing.T) {
	for d, want := range map[time.Duration]string{1360 * time.Millisecond: "1.36", 1360004 * time.Microsecond: "1.36", 131 * time.Second: "131", 2100 * time.Millisecond: "2.1"} {
		if got := msSeconds(d); got != want {
			t.Errorf("msSeconds(%v) = %q, want %q", d, got, want)
		}
	}
}
