// Package ltitest is a fake LTI 1.3 platform for tests: it has a real RSA key, serves
// its key set, answers the OAuth 2 token endpoint only for a client assertion that
// verifies against the tool's published keys, and keeps line items and the scores
// posted to them, as Moodle and Canvas do.
package ltitest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"synack/web/lti"
)

// Client is an HTTP client that keeps no idle connections, so a test ends with no
// goroutine of its own left running. It does not follow redirects: tests read them.
var Client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Platform is the fake LMS.
type Platform struct {
	Server   *httptest.Server
	Key      jwk.Key // the platform's signing key (its public half is served)
	ClientID string
	// ToolKeys is where the token endpoint reads the tool's key set (its jwks URL).
	ToolKeys string

	mu        sync.Mutex
	LineItems []LineItem // made by the tool or present from the start
	Scores    []ScorePost
	Tokens    int // access tokens handed out
	// GradeSyncOnly withholds the lineitem scope, as Moodle's "grade sync only" does.
	GradeSyncOnly bool
	// Claims, when set, makes the /auth endpoint answer like a platform's: it signs an
	// id_token with the claims it returns for the request's nonce and posts it, with the
	// state, to the redirect URI from the browser (an auto-submitting form).
	Claims func(nonce string) map[string]any

	t testing.TB
}

// LineItem is a gradebook column.
type LineItem struct {
	ID, Label, ResourceID, ResourceLinkID string
	ScoreMaximum                          float64
}

// ScorePost is one score as the platform received it.
type ScorePost struct {
	LineItem string
	Body     map[string]any
	Scope    string
}

// Issuer is the platform's iss.
func (p *Platform) Issuer() string { return p.Server.URL }

// New starts a platform.
func New(t testing.TB) *Platform {
	t.Helper()
	p := &Platform{ClientID: "synack-client", t: t}
	p.Key = NewKey(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		set := jwk.NewSet()
		pub, _ := p.Key.PublicKey()
		set.AddKey(pub)
		json.NewEncoder(w).Encode(set)
	})
	mux.HandleFunc("GET /auth", p.auth)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /lineitems", p.listItems)
	mux.HandleFunc("POST /lineitems", p.makeItem)
	mux.HandleFunc("POST /lineitems/{id}/scores", p.score)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Server.Close)
	return p
}

// NewKey makes an RSA signing key with a kid.
func NewKey(t testing.TB) jwk.Key {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.Import(priv)
	if err != nil {
		t.Fatal(err)
	}
	jwk.AssignKeyID(k)
	k.Set(jwk.AlgorithmKey, jwa.RS256())
	return k
}

// Registration is the platform as the tool's config names it.
func (p *Platform) Registration() lti.Platform {
	return lti.Platform{Name: "Test LMS", Issuer: p.Issuer(), ClientID: p.ClientID, Deployments: []string{"dep-1"},
		AuthURL: p.Server.URL + "/auth", TokenURL: p.Server.URL + "/token", KeySetURL: p.Server.URL + "/jwks"}
}

// IDToken signs claims as the platform's id_token, with key (the platform's own when nil).
func (p *Platform) IDToken(t testing.TB, claims map[string]any, key jwk.Key) string {
	t.Helper()
	if key == nil {
		key = p.Key
	}
	tok := jwt.New()
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			t.Fatalf("claim %s: %v", k, err)
		}
	}
	b, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), key))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// LaunchClaims are the claims of a valid launch of the given type for nonce at now.
func (p *Platform) LaunchClaims(msg, nonce, target string, now time.Time) map[string]any {
	c := map[string]any{
		"iss": p.Issuer(), "aud": p.ClientID, "sub": "student-42", "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		lti.ClaimMessage: msg, lti.ClaimVersion: "1.3.0", lti.ClaimDeployment: "dep-1",
		lti.ClaimTarget: target,
		lti.ClaimRoles:  []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"},
	}
	switch msg {
	case lti.MsgResourceLink:
		c[lti.ClaimResource] = map[string]any{"id": "rl-7", "title": "Week 3: the handshake"}
		scope := []string{lti.ScopeLineItem, lti.ScopeScore, lti.ScopeLineItemRO}
		if p.GradeSyncOnly {
			scope = []string{lti.ScopeLineItemRO, lti.ScopeScore}
		}
		c[lti.ClaimAGS] = map[string]any{"scope": scope, "lineitems": p.Server.URL + "/lineitems"}
	case lti.MsgDeepLinking:
		c[lti.ClaimDLSettings] = map[string]any{"deep_link_return_url": p.Server.URL + "/deep_link_return",
			"accept_types": []string{"ltiResourceLink"}, "accept_lineitem": true, "data": "opaque-42"}
	}
	return c
}

// ParseLoginRedirect reads the authorization request the tool redirected to.
func ParseLoginRedirect(loc string) (state, nonce, redirect string, err error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", "", "", err
	}
	q := u.Query()
	if q.Get("response_mode") != "form_post" || q.Get("scope") != "openid" || q.Get("response_type") != "id_token" {
		return "", "", "", fmt.Errorf("not an OIDC form_post id_token request: %s", loc)
	}
	return q.Get("state"), q.Get("nonce"), q.Get("redirect_uri"), nil
}

// VerifyDeepLinkResponse checks the tool's deep linking response with the tool's keys
// and returns its claims.
func (p *Platform) VerifyDeepLinkResponse(token string) (map[string]any, error) {
	set, err := jwk.Fetch(context.Background(), p.ToolKeys, jwk.WithHTTPClient(Client))
	if err != nil {
		return nil, err
	}
	tok, err := jwt.Parse([]byte(token), jwt.WithKeySet(set, jws.WithInferAlgorithmFromKey(true)), jwt.WithValidate(true),
		jwt.WithIssuer(p.ClientID), jwt.WithAudience(p.Issuer()))
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, k := range tok.Keys() {
		var v any
		tok.Get(k, &v)
		out[k] = v
	}
	return out, nil
}

func (p *Platform) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	set, err := jwk.Fetch(r.Context(), p.ToolKeys, jwk.WithHTTPClient(Client))
	if err != nil {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	_, err = jwt.Parse([]byte(r.Form.Get("client_assertion")), jwt.WithKeySet(set, jws.WithInferAlgorithmFromKey(true)),
		jwt.WithValidate(true), jwt.WithIssuer(p.ClientID), jwt.WithSubject(p.ClientID), jwt.WithAudience(p.Server.URL+"/token"))
	if err != nil {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	scope := r.Form.Get("scope")
	if p.GradeSyncOnly && strings.Contains(scope, lti.ScopeLineItem+" ") || p.GradeSyncOnly && strings.HasSuffix(scope, lti.ScopeLineItem) {
		http.Error(w, `{"error":"invalid_scope"}`, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.Tokens++
	n := p.Tokens
	p.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("at-%d|%s", n, scope), "token_type": "Bearer", "expires_in": 3600, "scope": scope})
}

func (p *Platform) auth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if p.Claims == nil || q.Get("client_id") != p.ClientID || q.Get("response_mode") != "form_post" || q.Get("nonce") == "" || q.Get("redirect_uri") == "" {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	tok := p.IDToken(p.t, p.Claims(q.Get("nonce")), nil)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>platform</title><form id="f" method="post" action="%s"><input type="hidden" name="id_token" value="%s"><input type="hidden" name="state" value="%s"></form><script>document.getElementById("f").submit()</script>`,
		html.EscapeString(q.Get("redirect_uri")), html.EscapeString(tok), html.EscapeString(q.Get("state")))
}

// bearerScope is the scope the request's access token was issued for ("" when none).
func bearerScope(r *http.Request) string {
	a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer at-")
	if !ok {
		return ""
	}
	_, scope, _ := strings.Cut(a, "|")
	return scope
}

func (p *Platform) listItems(w http.ResponseWriter, r *http.Request) {
	if s := bearerScope(r); s != lti.ScopeLineItem && s != lti.ScopeLineItemRO {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []map[string]any{}
	for _, li := range p.LineItems {
		if li.ResourceLinkID == r.URL.Query().Get("resource_link_id") && li.ResourceID == r.URL.Query().Get("resource_id") {
			out = append(out, map[string]any{"id": li.ID, "label": li.Label, "scoreMaximum": li.ScoreMaximum})
		}
	}
	w.Header().Set("Content-Type", "application/vnd.ims.lis.v2.lineitemcontainer+json")
	json.NewEncoder(w).Encode(out)
}

func (p *Platform) makeItem(w http.ResponseWriter, r *http.Request) {
	if bearerScope(r) != lti.ScopeLineItem || r.Header.Get("Content-Type") != "application/vnd.ims.lis.v2.lineitem+json" {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	var li struct {
		ScoreMaximum                      float64
		Label, ResourceID, ResourceLinkID string
	}
	if err := json.NewDecoder(r.Body).Decode(&li); err != nil || li.ScoreMaximum <= 0 || li.Label == "" {
		http.Error(w, "bad line item", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	id := fmt.Sprintf("%s/lineitems/%d", p.Server.URL, len(p.LineItems)+1)
	p.LineItems = append(p.LineItems, LineItem{ID: id, Label: li.Label, ResourceID: li.ResourceID, ResourceLinkID: li.ResourceLinkID, ScoreMaximum: li.ScoreMaximum})
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/vnd.ims.lis.v2.lineitem+json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"id": id, "label": li.Label, "scoreMaximum": li.ScoreMaximum})
}

func (p *Platform) score(w http.ResponseWriter, r *http.Request) {
	if bearerScope(r) != lti.ScopeScore || r.Header.Get("Content-Type") != "application/vnd.ims.lis.v1.score+json" {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		http.Error(w, "bad score", http.StatusBadRequest)
		return
	}
	item := p.Server.URL + "/lineitems/" + r.PathValue("id")
	p.mu.Lock()
	defer p.mu.Unlock()
	known := false
	for _, li := range p.LineItems {
		known = known || li.ID == item
	}
	if !known {
		http.Error(w, "no such line item", http.StatusNotFound)
		return
	}
	p.Scores = append(p.Scores, ScorePost{LineItem: item, Body: body})
	w.WriteHeader(http.StatusNoContent)
}

// Posted returns a copy of the scores received.
func (p *Platform) Posted() []ScorePost {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ScorePost(nil), p.Scores...)
}

// Items returns a copy of the line items.
func (p *Platform) Items() []LineItem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]LineItem(nil), p.LineItems...)
}

// AddLineItem adds a line item the platform made itself (the activity's own column).
func (p *Platform) AddLineItem(label string, max float64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := fmt.Sprintf("%s/lineitems/%d", p.Server.URL, len(p.LineItems)+1)
	p.LineItems = append(p.LineItems, LineItem{ID: id, Label: label, ScoreMaximum: max})
	return id
}
