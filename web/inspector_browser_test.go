package web

import (
	"strconv"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/diagram"
	"synack/lessons/stories"

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
