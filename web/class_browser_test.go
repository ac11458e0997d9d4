package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"synack/engine/catalog"
	"synack/web/classroom"
)

// classShot writes a screenshot of a room's page when SYNACK_SCREENSHOTS names a folder.
func classShot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("SYNACK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}

// A lecture: a teacher on replica A drives the handshake lesson on a projector-sized
// screen; three students on replica B follow on phones (two in Chromium, in English
// and Chinese, one in Firefox), vote, see nothing of the votes until the teacher shows
// them, vote again, and each sees their own result after the reveal; a student who
// reloads gets the room back with their answer.
func TestBrowserClassroom(t *testing.T) {
	teacher := browser(t)
	ff := firefox(t)
	url := startNATS(t)
	a := startReplica(t, classroom.Config{URL: url, Name: "A"})
	b := startReplica(t, classroom.Config{URL: url, Name: "B"})
	// The two Chromium students open B under two names, so each is its own origin with
	// its own storage, as two phones are.
	bLocal := strings.Replace(b.ts.URL, "127.0.0.1", "localhost", 1)

	if err := chromedp.Do(teacher, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(a.ts.URL+"/class/new?lesson=three-way-handshake&lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, teacher, `document.querySelector("[data-testid=class-status]").textContent === `+jsq(catalog.In("en", "class.teaching")))
	code := evalJS[string](t, teacher, `document.querySelector("[data-testid=room-code]").textContent`)
	if classroom.NormalizeCode(code) != code {
		t.Fatalf("room code %q", code)
	}
	if got := evalJS[string](t, teacher, `document.querySelector("[data-testid=join-url]").textContent`); got != a.ts.URL+"/class/"+code {
		t.Errorf("join address %q", got)
	}
	if !evalJS[bool](t, teacher, `document.querySelector("[data-testid=class-qr] svg").getBoundingClientRect().width >= 150`) {
		t.Error("the QR code is smaller than 150 px on a 1920 px screen")
	}

	type student struct {
		name, lang string
		ctx        context.Context
	}
	phone := func(base, lang string) context.Context {
		ctx, cancel := chromedp.NewContext(teacher)
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/class/"+code+"?lang="+lang)); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	s1 := student{"s1", "en", phone(b.ts.URL, "en")}
	s2 := student{"s2", "zh", phone(bLocal, "zh")}
	ff.navigate(b.ts.URL + "/class/" + code + "?lang=en")
	for _, s := range []student{s1, s2} {
		waitJS(t, s.ctx, `document.querySelector("[data-testid=class-status]").textContent.startsWith(`+jsq(catalog.In(s.lang, "class.connected"))+`)`)
	}
	ff.waitFor(`document.querySelector("[data-testid=class-status]").textContent.startsWith(` + jsq(catalog.In("en", "class.connected")) + `)`)
	waitJS(t, teacher, `document.querySelector("[data-testid=students]").textContent === "3"`)

	// The teacher plays to the end; the player stops before the question's step and
	// the room asks it.
	if err := chromedp.Do(teacher, chromedp.KeyEvent(kb.End)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, teacher, `!document.querySelector("#class-question").hidden`)
	stepno := evalJS[string](t, teacher, `document.querySelector("[data-testid=stepno]").textContent`)
	if !strings.HasPrefix(stepno, "Step 6 of") {
		t.Fatalf("the teacher's player stopped at %q, want Step 6 (the question is asked before step 7)", stepno)
	}
	for _, s := range []student{s1, s2} {
		waitJS(t, s.ctx, `document.querySelector("[data-testid=stepno]").textContent.startsWith(`+jsq(catalog.In(s.lang, "player.step")+" 6 ")+`)`)
		waitJS(t, s.ctx, `document.querySelectorAll("[data-testid=class-choice]").length === 4`)
	}
	ff.waitFor(`document.querySelector("[data-testid=stepno]").textContent.startsWith("Step 6 ") && document.querySelectorAll("[data-testid=class-choice]").length === 4`)

	click := func(ctx context.Context, choice string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=class-choice][data-choice=%q]`, choice)))); err != nil {
			t.Fatal(err)
		}
	}
	ffClick := func(choice string) {
		ff.eval(fmt.Sprintf(`(document.querySelector('[data-testid=class-choice][data-choice=%q]').click(), true)`, choice))
	}
	click(s1.ctx, "SYN-RECEIVED")
	click(s2.ctx, "SYN-RECEIVED")
	ffClick("SYN-SENT")
	waitJS(t, teacher, `document.querySelector("[data-testid=answers]").textContent === "3"`)
	if !evalJS[bool](t, teacher, `document.querySelector("[data-testid=histogram]").hidden`) {
		t.Error("the teacher's histogram shows before the teacher reveals it")
	}
	if !evalJS[bool](t, s1.ctx, `document.querySelector("[data-testid=histogram]").hidden && [...document.querySelectorAll("[data-testid=class-choice]")].every(b => b.disabled)`) {
		t.Error("a student who answered sees the histogram, or may answer again")
	}
	classShot(t, teacher, "class-teacher-voting-en-1920")

	if err := chromedp.Do(teacher, chromedp.Click(chromedp.CSS(`[data-testid=class-show]`))); err != nil {
		t.Fatal(err)
	}
	counts := `[...document.querySelectorAll("[data-testid=histogram] .h-count")].map(e => e.textContent).join()`
	waitJS(t, teacher, counts+` === "0,1,2,0"`)
	waitJS(t, s2.ctx, counts+` === "0,1,2,0"`)

	// Discussion, then a second vote: s2 changes its mind to the wrong answer.
	if err := chromedp.Do(teacher, chromedp.Click(chromedp.CSS(`[data-testid=class-revote]`))); err != nil {
		t.Fatal(err)
	}
	for _, s := range []student{s1, s2} {
		waitJS(t, s.ctx, `[...document.querySelectorAll("[data-testid=class-choice]")].every(b => !b.disabled)`)
	}
	ff.waitFor(`[...document.querySelectorAll("[data-testid=class-choice]")].every(b => !b.disabled)`)
	click(s1.ctx, "SYN-RECEIVED")
	click(s2.ctx, "SYN-SENT")
	ffClick("SYN-RECEIVED")
	waitJS(t, teacher, `document.querySelector("[data-testid=answers]").textContent === "3"`)
	if err := chromedp.Do(teacher, chromedp.Click(chromedp.CSS(`[data-testid=class-reveal]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, teacher, counts+` === "0,1,2,0" && !document.querySelector("[data-testid=class-answer]").hidden`)
	result := `document.querySelector("[data-testid=class-result]").textContent`
	waitJS(t, s1.ctx, result+`.startsWith(`+jsq(catalog.In("en", "class.right")+" SYN-RECEIVED")+`)`)
	waitJS(t, s2.ctx, result+`.startsWith(`+jsq(catalog.In("zh", "class.wrong")+" SYN-RECEIVED")+`)`)
	ff.waitFor(result + `.startsWith(` + jsq(catalog.In("en", "class.right")) + `)`)
	classShot(t, teacher, "class-teacher-answer-en-1920")
	for name, ctx := range map[string]context.Context{"teacher": teacher, "student en": s1.ctx, "student zh": s2.ctx} {
		classAxe(t, ctx, name)
	}
	classShot(t, s1.ctx, "class-student-answer-en-390")
	classShot(t, s2.ctx, "class-student-answer-zh-390")

	// A phone that reloads (slept, lost its connection) is the same student with the
	// same answer, and the room has not gained a student.
	if err := chromedp.Do(s2.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitJS(t, s2.ctx, result+`.startsWith(`+jsq(catalog.In("zh", "class.wrong"))+`)`)
	waitJS(t, teacher, `document.querySelector("[data-testid=students]").textContent === "3"`)

	// The teacher's view in Chinese, then the lesson goes on: every phone follows.
	if err := chromedp.Do(teacher, chromedp.Navigate(a.ts.URL+"/class/"+code+"/teach?lang=zh")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, teacher, `!document.querySelector("#class-question").hidden && document.querySelector("[data-testid=class-status]").textContent === `+jsq(catalog.In("zh", "class.teaching")))
	classShot(t, teacher, "class-teacher-answer-zh-1920")
	if err := chromedp.Do(teacher, chromedp.KeyEvent(kb.ArrowRight), chromedp.Click(chromedp.CSS(`[data-testid=class-continue]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, s1.ctx, `document.querySelector("[data-testid=stepno]").textContent.startsWith("Step 7 ") && document.querySelector("#class-question").hidden`)
	ff.waitFor(`document.querySelector("[data-testid=stepno]").textContent.startsWith("Step 7 ")`)
	classShot(t, s1.ctx, "class-student-waiting-en-390")

	// The teacher downloads the answers: six, two rounds of three.
	csv, err := chromedp.Run(teacher, chromedp.Evaluate[string](`fetch("/class/`+code+`/answers.csv").then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(strings.TrimSpace(csv), "\n"); rows != 6 {
		t.Errorf("answers.csv has %d rows, want 6:\n%s", rows, csv)
	}
}

func jsq(s string) string { return fmt.Sprintf("%q", s) }

// classAxe fails the test on axe-core's serious and critical findings on the page.
func classAxe(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	evalJS[chromedp.Void](t, ctx, axeSource+";void 0")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]any](`axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		t.Errorf("axe on the %s's page: %v %v on %v", name, v["impact"], v["id"], v["nodes"])
	}
}
