package web

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/diagram"
	"synack/lessons/stories"

	"github.com/chromedp/cdproto/emulation"

	"github.com/chromedp/chromedp"
)

// The inspector draws the selected segment's IPv4 and TCP headers as RFC 791 and RFC
// 9293 draw them, 32 bits a row, with the real values: the SYN's data offset is 10
// words (40 bytes of header, because of its options), its SYN bit is 1 and its ACK bit
// 0, and each option has its cell. Focusing a cell of the figure lights the same field
// in the list and its bytes in the hex view; hovering a list row lights the cell.
func TestBrowserHeaderFigure(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lessons/tcp-header?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	// The lesson opens on the SYN its narration asks to click: the inspector already
	// shows it, without a click, once its bytes have arrived.
	waitJS(t, ctx, `!!document.querySelector('#inspector tr[data-field="tcp.flags.syn"]')`)
	if got := evalJS[string](t, ctx, `document.querySelector('#inspector tr[data-field="tcp.flags.syn"] td:last-child').textContent`); got != "1" {
		t.Fatalf("the opening SYN shows SYN bit %q, want 1", got)
	}
	// Step to the first segment (the SYN): the player selects it and the inspector shows it.
	tr, err := stories.Default().Run("three-way-handshake", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	syn := -1
	for _, st := range diagram.Build(tr, diagram.Options{}).Steps {
		if st.Kind == "segment" {
			syn = st.Index
			break
		}
	}
	waitJS(t, ctx, `!!document.querySelector("#transcript li a")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#transcript li[data-step="`+strconv.Itoa(syn)+`"] a`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelectorAll("#inspector figure.insp-figure").length === 2`)
	labels := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#inspector figure:nth-of-type(2) .insp-cell[aria-label]")].map(c => c.getAttribute("aria-label"))`)
	joined := strings.Join(labels, "\n")
	for _, want := range []string{"Data offset = 10 (40 bytes)", "SYN = 1 (bit 14)", "ACK = 0 (bit 11)", "Option mss (kind 2, length 4) = mss 1460", "Option wscale (kind 3, length 3) = wscale 10", "Option nop (kind 1, length 1) = nop", "Source port = 40000 (bits 0–15)", "Sequence number = "} {
		if !strings.Contains(joined, want) {
			t.Errorf("the TCP figure lacks %q:\n%s", want, joined)
		}
	}
	if got := evalJS[string](t, ctx, `document.querySelector("#inspector figure:first-of-type figcaption").textContent`); !strings.Contains(got, "IPv4") {
		t.Errorf("the first figure is %q, want the IPv4 header", got)
	}
	// Focus the sequence number's cell: its row in the list and its 4 bytes light up.
	on := evalJS[[]any](t, ctx, `(() => {
		const cell = [...document.querySelectorAll("#inspector .insp-cell[tabindex]")].find(c => c.dataset.field === "tcp.seq");
		cell.focus();
		const row = document.querySelector('#inspector tr.on');
		return [row ? row.dataset.field : "", document.querySelectorAll("#inspector .insp-hex span.on").length, document.activeElement === cell];
	})()`)
	if on[0] != "tcp.seq" || on[1] != float64(4) || on[2] != true {
		t.Errorf("focusing the seq cell lit %v; want the tcp.seq row and 4 bytes, focus kept", on)
	}
	// Hover a list row: the figure's cell lights.
	lit := evalJS[string](t, ctx, `(() => {
		const row = document.querySelector('#inspector tr[data-field="tcp.window"]');
		row.dispatchEvent(new MouseEvent("mouseenter"));
		const c = document.querySelector("#inspector .insp-cell.on");
		return c ? c.dataset.field : "";
	})()`)
	if lit != "tcp.window" {
		t.Errorf("hovering the window row lit the cell %q", lit)
	}
}

// The transcript can be read as tcpdump prints it: the lines up to the cursor, with
// absolute numbers (tcpdump -S) or, after the "Sequence numbers" switch, relative ones
// as tcpdump 4.99 prints them: the SYN-ACK still absolute, the final ACK "ack 1"
// (tcpdump_test.go checks every line against the real tcpdump).
func TestBrowserTcpdumpView(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lessons/reading-tcpdump?lang=en&step=999")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live") && document.querySelectorAll("#tcpdump span:not([hidden])").length === 3`)
	got := evalJS[string](t, ctx, `document.querySelector("details.tcpdump").open = true, document.getElementById("tcpdump").innerText`)
	if !strings.Contains(got, "Flags [S.], seq 975768978, ack 2653845935") || strings.Contains(got, "[#") {
		t.Fatalf("tcpdump -S view:\n%s", got)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[data-action=numbers]`), "relative")); err != nil {
		t.Fatal(err)
	}
	evalJS[bool](t, ctx, `document.querySelector("select[data-action=numbers]").dispatchEvent(new Event("change", {bubbles: true}))`)
	waitJS(t, ctx, `document.getElementById("tcpdump").innerText.includes("Flags [.], ack 1, win") && document.getElementById("tcpdump-cmd").textContent === "tcpdump -n"`)
	if got := evalJS[string](t, ctx, `document.getElementById("tcpdump").innerText`); !strings.Contains(got, "Flags [S.], seq 975768978, ack 2653845935") {
		t.Fatalf("tcpdump -n view: the SYN-ACK should keep its absolute numbers, as tcpdump prints it:\n%s", got)
	}
	// Stepping back hides the lines of segments not yet sent.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-action=restart]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelectorAll("#tcpdump span:not([hidden])").length === 0`)
}

// The header figure names every field and flag in full, or as the RFCs' own figures
// abbreviate it (IHL, Rsrvd, the flag bits), with the full name said on focus; no name or
// value is cut, on a desktop and on a phone, in both languages.
func TestBrowserHeaderFigureNothingCut(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	want := map[string][]string{
		"en": {"Version", "IHL", "DSCP / ECN", "Total length", "Identification", "Flags", "Fragment offset", "Time to live", "Protocol", "Header checksum",
			"Source address", "Destination address", "Source port", "Destination port", "Sequence number", "Acknowledgment number", "Data offset", "Rsrvd",
			"CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN", "Window", "Checksum", "Urgent pointer"},
		"zh": {"版本", "首部长度", "总长度", "标识", "标志", "片偏移", "生存时间", "协议", "首部校验和", "源地址", "目的地址", "源端口", "目的端口", "序列号", "确认号",
			"数据偏移", "保留", "CWR", "SYN", "FIN", "窗口", "校验和", "紧急指针"},
	}
	for _, vp := range []struct{ w, h int64 }{{1280, 900}, {390, 844}} {
		for _, lang := range Languages {
			t.Run(fmt.Sprintf("%dx%d-%s", vp.w, vp.h, lang), func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(ts.URL+"/lessons/tcp-header?lang="+lang+"&width=narrow")); err != nil {
					t.Fatal(err)
				}
				waitJS(t, ctx, `document.querySelectorAll("#inspector .insp-cell[tabindex]").length > 30`)
				names := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#inspector .insp-name")].map(e => e.textContent)`)
				have := map[string]bool{}
				for _, n := range names {
					have[n] = true
				}
				for _, w := range want[lang] {
					if !have[w] {
						t.Errorf("no cell is named %q; the names are %q", w, names)
					}
				}
				// A cut text is wider or taller than the box that shows it.
				cut := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#inspector .insp-cell[tabindex]")].flatMap(c => {
  const out = [];
  const cr = c.getBoundingClientRect();
  for (const e of c.children) {
    const r = e.getBoundingClientRect();
    if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1 || r.left < cr.left - 0.5 || r.right > cr.right + 0.5 || r.top < cr.top - 0.5 || r.bottom > cr.bottom + 0.5)
      out.push(c.dataset.field + ": " + e.textContent);
  }
  return out;
})`)
				if len(cut) > 0 {
					t.Errorf("%d texts of the header figure are cut: %q", len(cut), cut)
				}
				// Focusing the SYN bit says what it stands for (focus events fire in a
				// headless tab only with focus emulation).
				if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
					t.Fatal(err)
				}
				said := evalJS[string](t, ctx, `(() => { const c = document.querySelector('#inspector .insp-cell[data-field="tcp.flags.syn"][tabindex]'); c.focus(); return c.closest("figure").querySelector(".insp-now").textContent; })()`)
				if w := map[string]string{"en": "Synchronize sequence numbers", "zh": "同步序列号"}[lang]; !strings.Contains(said, w) {
					t.Errorf("focusing the SYN bit says %q, want %q in it", said, w)
				}
			})
		}
	}
}

// A data segment's payload bytes (1,448 of them: two thousand pixels of hex on a phone)
// are folded under a summary that says how many there are; the headers' bytes stay in
// view. Checked in Chinese on a data segment of sack-recovery.
func TestBrowserPayloadBytesFolded(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lessons/sack-recovery?lang=zh")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("#transcript li a")`)
	clicked := evalJS[bool](t, ctx, `(() => {
		const li = [...document.querySelectorAll("#transcript li")].find(li => / len 1448 /.test(li.textContent));
		if (!li) return false;
		li.querySelector("a").click();
		return true;
	})()`)
	if !clicked {
		t.Fatal("no transcript line with a 1448-byte segment")
	}
	waitJS(t, ctx, `!!document.querySelector("#inspector details.insp-payload")`)
	got := evalJS[[]any](t, ctx, `(() => {
		const d = document.querySelector("#inspector details.insp-payload");
		const head = document.querySelectorAll("#inspector > .insp-hex span").length;
		return [d.open, d.querySelector("summary").textContent, head, d.querySelectorAll(".insp-hex span").length];
	})()`)
	// IPv4's 20 bytes and TCP's 32 (20 and the 12 of nop, nop, timestamps) in view.
	if got[0] != false || got[1] != "载荷：1448 字节" || got[2] != float64(52) || got[3] != float64(1448) {
		t.Errorf("payload fold: open %v, summary %q, header bytes shown %v, payload bytes %v; want false, 载荷：1448 字节, 52, 1448", got...)
	}
}
