package web

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"synack/engine/catalog"
	"synack/web/lti"
	"synack/web/lti/ltitest"
)

// ltiRig is synack with LTI on, and a platform registered with it.
type ltiRig struct {
	ts   *httptest.Server
	plat *ltitest.Platform
	tool *lti.Tool
	now  time.Time
}

func newLTIRig(t *testing.T) *ltiRig {
	t.Helper()
	rig := &ltiRig{plat: ltitest.New(t), now: time.Now()}
	var h http.Handler
	rig.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(rig.ts.Close)
	tool, err := lti.New(lti.Config{URL: rig.ts.URL, Platforms: []lti.Platform{rig.plat.Registration()}},
		lti.Options{Client: ltitest.Client, Now: func() time.Time { return rig.now }})
	if err != nil {
		t.Fatal(err)
	}
	rig.tool = tool
	rig.plat.ToolKeys = rig.ts.URL + "/.well-known/jwks.json"
	h = NewServer(Config{LTI: tool})
	return rig
}

// login runs the OIDC login initiation and returns the state and nonce the tool put in
// its redirect to the platform.
func (rig *ltiRig) login(t *testing.T, target string) (state, nonce string) {
	t.Helper()
	q := url.Values{"iss": {rig.plat.Issuer()}, "login_hint": {"student-42"}, "target_link_uri": {target},
		"client_id": {rig.plat.ClientID}, "lti_message_hint": {"hint-1"}}
	resp, err := ltitest.Client.PostForm(rig.ts.URL+"/lti/login", q)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: status %d, want 302", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, rig.plat.Server.URL+"/auth?") {
		t.Fatalf("login redirects to %q, not the platform's auth endpoint", loc)
	}
	state, nonce, redirect, err := ltitest.ParseLoginRedirect(loc)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if redirect != rig.ts.URL+"/lti/launch" || u.Query().Get("client_id") != rig.plat.ClientID ||
		u.Query().Get("login_hint") != "student-42" || u.Query().Get("lti_message_hint") != "hint-1" || u.Query().Get("prompt") != "none" {
		t.Fatalf("authorization request %s lacks what LTI Security Framework §5.1.1.2 requires", loc)
	}
	if state == "" || len(nonce) < 16 {
		t.Fatalf("state %q, nonce %q: want both, the nonce unguessable", state, nonce)
	}
	return state, nonce
}

// launch posts an id_token and state to /lti/launch as the platform's form_post does.
func (rig *ltiRig) launch(t *testing.T, idToken, state, lang string) (*http.Response, string) {
	t.Helper()
	u := rig.ts.URL + "/lti/launch"
	if lang != "" {
		u += "?lang=" + lang
	}
	resp, err := ltitest.Client.PostForm(u, url.Values{"id_token": {idToken}, "state": {state}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var hiddenField = regexp.MustCompile(`name="(\w+)" value="([^"]*)"`)

func formFields(page string) map[string]string {
	out := map[string]string{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// TestLTIFlow plays a course from start to grade: the teacher adds a lesson by deep
// linking, a student launches it, answers its two questions (one right, one wrong), and
// the score lands on a line item the tool made, with the maximum the lesson's question
// count.
func TestLTIFlow(t *testing.T) {
	rig := newLTIRig(t)

	// Deep linking: the teacher picks the handshake lesson at 80 ms, diagram view.
	state, nonce := rig.login(t, rig.ts.URL+"/lti/launch")
	c := rig.plat.LaunchClaims(lti.MsgDeepLinking, nonce, rig.ts.URL+"/lti/launch", rig.now)
	resp, page := rig.launch(t, rig.plat.IDToken(t, c, nil), state, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-testid="lti-pick"`) {
		t.Fatalf("deep linking launch: status %d, page without the picker:\n%s", resp.StatusCode, page)
	}
	if xfo := resp.Header.Get("X-Frame-Options"); xfo != "" {
		t.Errorf("the picker is framed by the platform, but X-Frame-Options is %q", xfo)
	}
	dl := formFields(page)["dl"]
	resp, err := ltitest.Client.PostForm(rig.ts.URL+"/lti/deeplink", url.Values{"dl": {dl}, "lesson": {"three-way-handshake"},
		"rtt": {"80"}, "profile": {"linux"}, "seed": {"1"}, "view": {"diagram"}, "lang": {"en"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page = string(b)
	ret := rig.plat.Server.URL + "/deep_link_return"
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="`+ret+`"`) {
		t.Fatalf("deep link answer: status %d, no form posting to %s:\n%s", resp.StatusCode, ret, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+rig.plat.Server.URL) {
		t.Errorf("CSP %q does not let the form post to the platform", csp)
	}
	claims, err := rig.plat.VerifyDeepLinkResponse(formFields(page)["JWT"])
	if err != nil {
		t.Fatalf("the platform cannot verify the deep linking response: %v", err)
	}
	if claims[lti.ClaimMessage] != "LtiDeepLinkingResponse" || claims[lti.ClaimDeployment] != "dep-1" ||
		claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] != "opaque-42" || claims[lti.ClaimVersion] != "1.3.0" {
		t.Errorf("deep linking response claims = %v", claims)
	}
	items, _ := claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"].([]any)
	if len(items) != 1 {
		t.Fatalf("content items = %v, want one", items)
	}
	item := items[0].(map[string]any)
	target, _ := item["url"].(string)
	tu, _ := url.Parse(target)
	if item["type"] != "ltiResourceLink" || !strings.HasPrefix(target, rig.ts.URL+"/lti/launch?") ||
		tu.Query().Get("lesson") != "three-way-handshake" || tu.Query().Get("rtt") != "80ms" || tu.Query().Get("view") != "diagram" {
		t.Errorf("content item = %v", item)
	}
	if li, _ := item["lineItem"].(map[string]any); li == nil || li["scoreMaximum"] != 2.0 {
		t.Errorf("line item = %v, want scoreMaximum 2 (the lesson asks two questions)", item["lineItem"])
	}

	// The student launches the link the teacher made.
	state, nonce = rig.login(t, target)
	c = rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now)
	resp, _ = rig.launch(t, rig.plat.IDToken(t, c, nil), state, "")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/embed/lessons/three-way-handshake?") {
		t.Fatalf("resource link launch: status %d, Location %q", resp.StatusCode, loc)
	}
	lu, _ := url.Parse(loc)
	if lu.Query().Get("rtt") != "80ms" || lu.Query().Get("view") != "diagram" {
		t.Errorf("the launch opens %s, not the view the teacher picked", loc)
	}
	frag, _ := url.ParseQuery(lu.Fragment)
	grade := frag.Get("lti")
	if grade == "" {
		t.Fatalf("the launch gives the page no grade token: %s", loc)
	}

	// Q0: the server after answering a SYN is in SYN-RECEIVED (RFC 9293 §3.5, Figure 6);
	// Q1: the client answers a SYN-ACK with a bare ACK. One right, one wrong.
	res := postScore(t, rig, grade, map[string]string{"0": "SYN-RECEIVED", "1": "SYN ACK"}, http.StatusOK)
	if res.Given != 1 || res.Maximum != 2 || !res.Completed {
		t.Errorf("score = %+v, want 1 of 2, completed", res)
	}
	got := rig.plat.Items()
	if len(got) != 1 || got[0].ScoreMaximum != 2 || got[0].ResourceID != "three-way-handshake" || got[0].ResourceLinkID != "rl-7" {
		t.Fatalf("line items = %+v, want one made for the lesson and resource link", got)
	}
	posts := rig.plat.Posted()
	if len(posts) != 1 {
		t.Fatalf("scores posted = %d, want 1", len(posts))
	}
	p := posts[0]
	if p.LineItem != got[0].ID || p.Body["userId"] != "student-42" || p.Body["scoreGiven"] != 1.0 || p.Body["scoreMaximum"] != 2.0 ||
		p.Body["activityProgress"] != "Completed" || p.Body["gradingProgress"] != "FullyGraded" {
		t.Errorf("score posted = %+v", p)
	}
	// A second post reuses the line item (found by resource link and lesson) and the token.
	postScore(t, rig, grade, map[string]string{"0": "SYN-RECEIVED", "1": "ACK"}, http.StatusOK)
	if n := len(rig.plat.Items()); n != 1 {
		t.Errorf("line items after a second post = %d, want still 1", n)
	}
	if last := rig.plat.Posted()[1]; last.Body["scoreGiven"] != 2.0 {
		t.Errorf("second score = %v, want 2", last.Body["scoreGiven"])
	}
	// Answers that do not exist are refused, and a forged grade token too.
	postScore(t, rig, grade, map[string]string{"7": "ACK"}, http.StatusBadRequest)
	postScore(t, rig, grade[:len(grade)-4]+"AAAA", map[string]string{"0": "ACK"}, http.StatusForbidden)
}

func postScore(t *testing.T, rig *ltiRig, token string, answers map[string]string, want int) ScoreResult {
	t.Helper()
	b, _ := json.Marshal(ScoreRequest{Token: token, Answers: answers})
	resp, err := ltitest.Client.Post(rig.ts.URL+"/lti/score", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res ScoreResult
	json.NewDecoder(resp.Body).Decode(&res)
	if resp.StatusCode != want {
		t.Fatalf("score post: status %d, want %d (%+v)", resp.StatusCode, want, res)
	}
	return res
}

// TestLTIGradeSyncOnly: Moodle's "grade sync only" withholds the lineitem scope; the
// score must go to the activity's own line item, and nothing is created.
func TestLTIGradeSyncOnly(t *testing.T) {
	rig := newLTIRig(t)
	rig.plat.GradeSyncOnly = true
	own := rig.plat.AddLineItem("Handshake", 2)
	target := rig.ts.URL + "/lti/launch?lesson=three-way-handshake"

	state, nonce := rig.login(t, target)
	c := rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now)
	c[lti.ClaimAGS] = map[string]any{"scope": []string{lti.ScopeLineItemRO, lti.ScopeScore}, "lineitem": own}
	resp, _ := rig.launch(t, rig.plat.IDToken(t, c, nil), state, "")
	lu, _ := url.Parse(resp.Header.Get("Location"))
	frag, _ := url.ParseQuery(lu.Fragment)
	postScore(t, rig, frag.Get("lti"), map[string]string{"0": "SYN-RECEIVED"}, http.StatusOK)
	posts := rig.plat.Posted()
	if len(posts) != 1 || posts[0].LineItem != own || posts[0].Body["activityProgress"] != "InProgress" {
		t.Fatalf("scores = %+v, want one InProgress score on %s", posts, own)
	}
	if n := len(rig.plat.Items()); n != 1 {
		t.Errorf("line items = %d, want only the activity's own", n)
	}

	// Without the activity's line item and without the right to make one, the page is
	// not graded: no token.
	state, nonce = rig.login(t, target)
	c = rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now)
	resp, _ = rig.launch(t, rig.plat.IDToken(t, c, nil), state, "")
	lu, _ = url.Parse(resp.Header.Get("Location"))
	if frag, _ := url.ParseQuery(lu.Fragment); frag.Get("lti") != "" {
		t.Errorf("a launch that cannot be graded got a grade token: %s", lu)
	}
}

// TestLTIRefused: forged, replayed, expired, wrong-audience (and other bad) launches are
// refused with a page that says why, in English and in Chinese.
func TestLTIRefused(t *testing.T) {
	rig := newLTIRig(t)
	target := rig.ts.URL + "/lti/launch?lesson=three-way-handshake"
	other := ltitest.NewKey(t)
	sameKid := ltitest.NewKey(t)
	kid, _ := rig.plat.Key.KeyID()
	sameKid.Set(jwk.KeyIDKey, kid)
	cases := []struct {
		name   string
		edit   func(c map[string]any)
		key    jwk.Key // signing key: nil for the platform's
		state  func(s string) string
		kind   string
		status int
	}{
		{name: "forged, unknown key", key: other, kind: "forged", status: 403},
		{name: "forged, the platform's kid", key: sameKid, kind: "forged", status: 403},
		{name: "expired", edit: func(c map[string]any) {
			c["exp"] = rig.now.Add(-2 * time.Minute).Unix()
			c["iat"] = rig.now.Add(-7 * time.Minute).Unix()
		}, kind: "expired", status: 400},
		{name: "wrong audience", edit: func(c map[string]any) { c["aud"] = "another-tool" }, kind: "audience", status: 400},
		{name: "azp of another client", edit: func(c map[string]any) {
			c["aud"] = []string{rig.plat.ClientID, "another-tool"}
			c["azp"] = "another-tool"
		}, kind: "audience", status: 400},
		{name: "several audiences, no azp", edit: func(c map[string]any) { c["aud"] = []string{rig.plat.ClientID, "x"} }, kind: "audience", status: 400},
		{name: "wrong issuer", edit: func(c map[string]any) { c["iss"] = "https://evil.example" }, kind: "issuer", status: 400},
		{name: "unregistered deployment", edit: func(c map[string]any) { c[lti.ClaimDeployment] = "dep-9" }, kind: "deployment", status: 400},
		{name: "unknown message type", edit: func(c map[string]any) { c[lti.ClaimMessage] = "LtiSubmissionReviewRequest" }, kind: "message", status: 400},
		{name: "nonce of another login", edit: func(c map[string]any) { c["nonce"] = "not-the-nonce" }, kind: "state", status: 400},
		{name: "state not ours", state: func(s string) string { return s[:len(s)-6] + "AAAAAA" }, kind: "state", status: 400},
	}
	for _, tc := range cases {
		for _, lang := range []string{"en", "zh"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				state, nonce := rig.login(t, target)
				c := rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now)
				if tc.edit != nil {
					tc.edit(c)
				}
				if tc.state != nil {
					state = tc.state(state)
				}
				resp, page := rig.launch(t, rig.plat.IDToken(t, c, tc.key), state, lang)
				checkRefusal(t, resp, page, lang, tc.kind, tc.status)
			})
		}
	}
	// Replayed: the same launch posted twice works once.
	for _, lang := range []string{"en", "zh"} {
		state, nonce := rig.login(t, target)
		tok := rig.plat.IDToken(t, rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now), nil)
		if resp, _ := rig.launch(t, tok, state, lang); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first launch: status %d", resp.StatusCode)
		}
		resp, page := rig.launch(t, tok, state, lang)
		checkRefusal(t, resp, page, lang, "replayed", 403)
	}
	// A login that took too long: the state has expired.
	state, nonce := rig.login(t, target)
	rig.now = rig.now.Add(lti.StateTTL + time.Second)
	resp, page := rig.launch(t, rig.plat.IDToken(t, rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now), nil), state, "zh")
	checkRefusal(t, resp, page, "zh", "expired", 400)
}

func checkRefusal(t *testing.T, resp *http.Response, page, lang, kind string, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d", resp.StatusCode, status)
	}
	if !strings.Contains(page, `data-kind="`+kind+`"`) {
		t.Errorf("refusal kind is not %q:\n%s", kind, page)
	}
	if want := html.EscapeString(catalog.In(lang, "lti.err."+kind)); !strings.Contains(page, want) {
		t.Errorf("the page does not say %q", want)
	}
	if want := `<html lang="` + htmlLangOf(lang) + `"`; !strings.Contains(page, want) {
		t.Errorf("page is not in %s", lang)
	}
}

func htmlLangOf(l string) string {
	if l == "zh" {
		return "zh-CN"
	}
	return "en"
}

// TestLTIBodyLimits: a launch form of MaxLTIForm bytes is read (and refused for its
// made-up state), one byte more is refused unread; the same for a score post of
// MaxScoreBody bytes.
func TestLTIBodyLimits(t *testing.T) {
	rig := newLTIRig(t)
	form := func(n int) string {
		s := "state=x&id_token="
		return s + strings.Repeat("a", n-len(s))
	}
	for _, tc := range []struct {
		n    int
		kind string
	}{{MaxLTIForm, "state"}, {MaxLTIForm + 1, "claims"}} {
		resp, err := ltitest.Client.Post(rig.ts.URL+"/lti/launch", "application/x-www-form-urlencoded", strings.NewReader(form(tc.n)))
		if err != nil {
			t.Fatal(err)
		}
		page := body(t, resp)
		resp.Body.Close()
		if !strings.Contains(page, `data-kind="`+tc.kind+`"`) {
			t.Errorf("a launch of %d bytes: not refused as %q", tc.n, tc.kind)
		}
	}
	score := func(n int) string {
		s := `{"token":"x","answers":{}}`
		return s + strings.Repeat(" ", n-len(s))
	}
	for _, tc := range []struct{ n, status int }{{MaxScoreBody, http.StatusForbidden}, {MaxScoreBody + 1, http.StatusBadRequest}} {
		resp, err := ltitest.Client.Post(rig.ts.URL+"/lti/score", "application/json", strings.NewReader(score(tc.n)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("a score post of %d bytes: status %d, want %d", tc.n, resp.StatusCode, tc.status)
		}
	}
}

// TestLTIRoutesMethods: the LTI routes a platform posts to say so to a GET, and the key
// set answers GET (the platform fetches it) even before any launch.
func TestLTIRoutesMethods(t *testing.T) {
	rig := newLTIRig(t)
	for _, p := range []string{"/lti/launch", "/lti/deeplink", "/lti/score"} {
		resp, err := ltitest.Client.Get(rig.ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET %s: %d, Allow %q; want 405, POST", p, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	resp, err := ltitest.Client.Get(rig.ts.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if len(set.Keys) != 1 || set.Keys[0]["kty"] != "RSA" || set.Keys[0]["alg"] != "RS256" || set.Keys[0]["kid"] == nil || set.Keys[0]["d"] != nil {
		t.Errorf("key set = %v, want one public RSA key with alg RS256 and a kid", set.Keys)
	}
	// Without -lti the routes say LTI is off, and there is no key set.
	s := NewServer(Config{})
	if res := do(t, s, "GET", "/.well-known/jwks.json", nil); res.StatusCode != 404 {
		t.Errorf("key set without LTI: %d, want 404", res.StatusCode)
	}
	if res := do(t, s, "POST", "/lti/launch", nil); res.StatusCode != 404 || !strings.Contains(body(t, res), `data-kind="off"`) {
		t.Errorf("launch without LTI: %d, want 404 with the page saying LTI is off", res.StatusCode)
	}
}

// TestLTIClockEdges: an id_token expired less than ClockSkew ago is taken, one expired
// longer ago is refused; a page's grade token works until GradeTTL and not after.
func TestLTIClockEdges(t *testing.T) {
	rig := newLTIRig(t)
	target := rig.ts.URL + "/lti/launch?lesson=three-way-handshake"
	for _, tc := range []struct {
		past time.Duration
		want int
	}{{lti.ClockSkew - time.Second, http.StatusSeeOther}, {lti.ClockSkew + time.Second, http.StatusBadRequest}} {
		state, nonce := rig.login(t, target)
		c := rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now)
		c["iat"] = rig.now.Add(-tc.past - time.Minute).Unix()
		c["exp"] = rig.now.Add(-tc.past).Unix()
		if resp, _ := rig.launch(t, rig.plat.IDToken(t, c, nil), state, ""); resp.StatusCode != tc.want {
			t.Errorf("a token expired %s ago: status %d, want %d", tc.past, resp.StatusCode, tc.want)
		}
	}
	state, nonce := rig.login(t, target)
	resp, _ := rig.launch(t, rig.plat.IDToken(t, rig.plat.LaunchClaims(lti.MsgResourceLink, nonce, target, rig.now), nil), state, "")
	lu, _ := url.Parse(resp.Header.Get("Location"))
	frag, _ := url.ParseQuery(lu.Fragment)
	grade := frag.Get("lti")
	start := rig.now
	// (The platform's token endpoint checks the tool's assertion against the real clock,
	// so the far side of GradeTTL is checked on the token itself.)
	rig.now = start.Add(lti.GradeTTL - time.Second)
	if _, err := rig.tool.OpenGrade(grade); err != nil {
		t.Errorf("a grade token a second before GradeTTL: %v", err)
	}
	rig.now = start.Add(lti.GradeTTL + time.Second)
	if _, err := rig.tool.OpenGrade(grade); err == nil {
		t.Error("a grade token a second after GradeTTL still opens")
	}
	postScore(t, rig, grade, map[string]string{"0": "SYN-RECEIVED"}, http.StatusForbidden)
}
