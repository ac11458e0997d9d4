package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"synack/web/lti"
)

// TestBrowserLTILaunch plays a student's launch in Chromium, the way a course page runs
// it: the platform's page (localhost) frames the login initiation on synack
// (127.0.0.1); the tool redirects to the platform's authorization endpoint, which posts
// the signed launch back; the lesson opens in the frame, says so to Canvas with
// lti.frameResize, and the student's answer reaches the platform's gradebook.
func TestBrowserLTILaunch(t *testing.T) {
	ctx := browser(t)
	rig := newLTIRig(t)
	target := rig.ts.URL + "/lti/launch?lesson=three-way-handshake&view=diagram"
	rig.plat.Claims = func(nonce string) map[string]any {
		return rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, time.Now())
	}
	rig.now = time.Now()
	login := rig.ts.URL + "/lti/login?" + url.Values{"iss": {rig.plat.Issuer()}, "login_hint": {"student-42"},
		"target_link_uri": {target}, "client_id": {rig.plat.ClientID}}.Encode()
	course := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>course</title><iframe id="tool" src="` + strings.ReplaceAll(login, "&", "&amp;") + `" width="1000" height="600"></iframe>
<script>window.got = []; addEventListener("message", (e) => { try { got.push(typeof e.data === "string" ? JSON.parse(e.data) : e.data) } catch {} });</script>`))
	}))
	defer course.Close()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(strings.Replace(course.URL, "127.0.0.1", "localhost", 1))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `got.some((m) => m.subject === "lti.frameResize") && got.some((m) => m.type === "synack:ready")`)
	var frame context.Context
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Type == "iframe" && strings.HasPrefix(info.URL, rig.ts.URL+"/embed/lessons/three-way-handshake?") {
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			defer cancel()
			frame = fctx
		}
	}
	if frame == nil {
		t.Fatalf("the launch did not open the lesson's embed in the frame (targets: %v)", infos)
	}
	// Play to the first question and answer it right (the server is in SYN-RECEIVED,
	// RFC 9293 §3.5).
	waitJS(t, frame, `!!document.querySelector("[data-testid=play]")`)
	if err := chromedp.Do(frame, chromedp.Click(chromedp.CSS(`[data-testid="play"]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, frame, `!document.querySelector("#question").hidden && !!document.querySelector("#question input")`)
	evalJS[chromedp.Void](t, frame, `document.querySelector('#question input[value="SYN-RECEIVED"]').click(); document.querySelector("[data-testid=check]").click()`)
	waitJS(t, frame, `(document.querySelector("[data-testid=lti-status]") || {}).textContent === "Your answers were sent to the gradebook."`)
	if evalJS[bool](t, frame, `location.hash !== ""`) {
		t.Error("the grade token stayed in the embed's address")
	}
	posts := rig.plat.Posted()
	if len(posts) != 1 || posts[0].Body["scoreGiven"] != 1.0 || posts[0].Body["scoreMaximum"] != 2.0 ||
		posts[0].Body["userId"] != "student-42" || posts[0].Body["activityProgress"] != "InProgress" {
		t.Fatalf("scores at the platform = %+v, want 1 of 2 for student-42, in progress", posts)
	}
}
