package lti

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Claim names of LTI 1.3 (LTI Core §5, Deep Linking §4.4, AGS §3.1).
const (
	claimPrefix     = "https://purl.imsglobal.org/spec/lti/claim/"
	ClaimMessage    = claimPrefix + "message_type"
	ClaimVersion    = claimPrefix + "version"
	ClaimDeployment = claimPrefix + "deployment_id"
	ClaimTarget     = claimPrefix + "target_link_uri"
	ClaimResource   = claimPrefix + "resource_link"
	ClaimRoles      = claimPrefix + "roles"
	ClaimCustom     = claimPrefix + "custom"
	ClaimPresent    = claimPrefix + "launch_presentation"
	ClaimDLSettings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	ClaimAGS        = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"

	MsgResourceLink = "LtiResourceLinkRequest"
	MsgDeepLinking  = "LtiDeepLinkingRequest"

	ScopeLineItem   = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
	ScopeLineItemRO = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
	ScopeScore      = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
)

// Lifetimes of the tool's own tokens and of what it remembers.
const (
	// StateTTL is how long a login may take between /lti/login and /lti/launch.
	StateTTL = 10 * time.Minute
	// DeepLinkTTL is how long a teacher has to pick a lesson.
	DeepLinkTTL = time.Hour
	// GradeTTL is how long a launched page may post scores: a class period and more.
	GradeTTL = 6 * time.Hour
	// ClockSkew is the slack allowed on a platform's exp and iat.
	ClockSkew = time.Minute
	// MaxNonces bounds the nonces remembered to refuse a replayed launch; at the bound
	// new launches are refused until old nonces expire.
	MaxNonces = 100_000
	// KeySetTTL is how long a platform's fetched key set is trusted before it is fetched
	// again (sooner when a token names a key it does not have).
	KeySetTTL = 10 * time.Minute
)

// Kind says why a launch or a grade post was refused; the pages translate it.
type Kind string

// The kinds of refusal.
const (
	KindPlatform   Kind = "platform"   // no such registration
	KindState      Kind = "state"      // the login's state is missing or not ours
	KindForged     Kind = "forged"     // the signature does not verify against the platform's keys
	KindExpired    Kind = "expired"    // exp has passed (or iat is in the future)
	KindReplayed   Kind = "replayed"   // the nonce was used before
	KindAudience   Kind = "audience"   // aud or azp do not name this tool's client id
	KindIssuer     Kind = "issuer"     // iss is not the platform the login started with
	KindDeployment Kind = "deployment" // an unregistered deployment id
	KindMessage    Kind = "message"    // a message type or version this tool does not handle
	KindClaims     Kind = "claims"     // a required claim is missing or malformed
	KindBusy       Kind = "busy"       // MaxNonces reached
	KindGrades     Kind = "grades"     // the platform's grade service refused or cannot be used
)

// Error is a refusal with its kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return "lti: " + string(e.Kind) + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(k Kind, format string, a ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, a...)}
}

// Tool is the LTI 1.3 tool: its key, its registrations and the nonces it has seen.
type Tool struct {
	cfg    Config
	key    jwk.Key
	pub    jwk.Set
	client *http.Client
	now    func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time // nonce → when it may be forgotten
	sets   map[string]keySet    // key set URL → keys
	tokens map[string]accessToken
}

type keySet struct {
	set     jwk.Set
	fetched time.Time
}

// Options adjust a Tool for tests: an HTTP client for the platform's endpoints, a clock.
type Options struct {
	Client *http.Client
	Now    func() time.Time
}

// New makes a tool from a config, reading or generating its key.
func New(cfg Config, opt Options) (*Tool, error) {
	priv, err := loadKey(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	k, pub, err := toolKeys(priv)
	if err != nil {
		return nil, err
	}
	t := &Tool{cfg: cfg, key: k, pub: pub, client: opt.Client, now: opt.Now,
		nonces: map[string]time.Time{}, sets: map[string]keySet{}, tokens: map[string]accessToken{}}
	if t.client == nil {
		t.client = &http.Client{Timeout: 10 * time.Second}
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t, nil
}

// URL is the tool's public base address.
func (t *Tool) URL() string { return t.cfg.URL }

// KeySetJSON is the tool's public key set, for /.well-known/jwks.json.
func (t *Tool) KeySetJSON() ([]byte, error) { return json.Marshal(t.pub) }

// platform finds a registration; clientID may be empty when the platform sent none and
// only one registration has that issuer.
func (t *Tool) platform(iss, clientID string) (*Platform, error) {
	var found *Platform
	for i := range t.cfg.Platforms {
		p := &t.cfg.Platforms[i]
		if p.Issuer != iss || (clientID != "" && p.ClientID != clientID) {
			continue
		}
		if found != nil {
			return nil, fail(KindPlatform, "issuer %q has several registrations: the login must name its client_id", iss)
		}
		found = p
	}
	if found == nil {
		return nil, fail(KindPlatform, "no platform is registered with issuer %q and client_id %q", iss, clientID)
	}
	return found, nil
}

func randomString() string {
	var b [18]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// LoginRequest is what a platform sends to /lti/login (OIDC third-party initiated login,
// LTI Security Framework §5.1.1.1).
type LoginRequest struct {
	Issuer, LoginHint, TargetLinkURI, MessageHint, ClientID, DeploymentID string
}

// LoginRequestFrom reads a login request from a form (GET query or POST body).
func LoginRequestFrom(f url.Values) LoginRequest {
	return LoginRequest{Issuer: f.Get("iss"), LoginHint: f.Get("login_hint"), TargetLinkURI: f.Get("target_link_uri"),
		MessageHint: f.Get("lti_message_hint"), ClientID: f.Get("client_id"), DeploymentID: f.Get("lti_deployment_id")}
}

type loginState struct {
	Issuer   string `json:"iss"`
	ClientID string `json:"client_id"`
	Nonce    string `json:"nonce"`
	Target   string `json:"target"`
}

// RedirectURI is where the platform posts the id_token.
func (t *Tool) RedirectURI() string { return t.cfg.URL + "/lti/launch" }

// Login answers a login initiation with the platform's authorization URL to redirect
// to. The state is a token the tool signed carrying the nonce, so any replica holding
// the same key can check the launch.
func (t *Tool) Login(r LoginRequest) (string, error) {
	if r.Issuer == "" || r.LoginHint == "" || r.TargetLinkURI == "" {
		return "", fail(KindClaims, "a login needs iss, login_hint and target_link_uri")
	}
	p, err := t.platform(r.Issuer, r.ClientID)
	if err != nil {
		return "", err
	}
	if !t.ownURL(r.TargetLinkURI) {
		return "", fail(KindClaims, "target_link_uri %q is not on this tool (%s)", r.TargetLinkURI, t.cfg.URL)
	}
	nonce := randomString()
	state, err := t.seal("state", StateTTL, loginState{Issuer: p.Issuer, ClientID: p.ClientID, Nonce: nonce, Target: r.TargetLinkURI})
	if err != nil {
		return "", err
	}
	u, err := url.Parse(p.AuthURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("scope", "openid")
	q.Set("response_type", "id_token")
	q.Set("response_mode", "form_post")
	q.Set("prompt", "none")
	q.Set("client_id", p.ClientID)
	q.Set("redirect_uri", t.RedirectURI())
	q.Set("login_hint", r.LoginHint)
	q.Set("state", state)
	q.Set("nonce", nonce)
	if r.MessageHint != "" {
		q.Set("lti_message_hint", r.MessageHint)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ownURL reports whether u is an address on this tool.
func (t *Tool) ownURL(u string) bool {
	return u == t.cfg.URL || strings.HasPrefix(u, t.cfg.URL+"/")
}

// Launch is a verified launch.
type Launch struct {
	Platform    *Platform
	MessageType string
	Deployment  string
	Subject     string
	Target      string
	Locale      string
	Roles       []string
	Custom      map[string]string
	Resource    ResourceLink
	AGS         *AGSClaim
	DeepLink    *DeepLinkSettings
}

// ResourceLink is the placement of the tool in a course.
type ResourceLink struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
}

// AGSClaim is the grade service claim of a launch (AGS §3.1): the scopes granted, the
// container of line items and, where the platform made one, the activity's own line item.
type AGSClaim struct {
	Scope     []string `json:"scope"`
	LineItems string   `json:"lineitems,omitempty"`
	LineItem  string   `json:"lineitem,omitempty"`
}

// DeepLinkSettings are a deep linking request's settings (Deep Linking §4.4.1).
type DeepLinkSettings struct {
	ReturnURL      string   `json:"deep_link_return_url"`
	AcceptTypes    []string `json:"accept_types"`
	AcceptMultiple bool     `json:"accept_multiple,omitempty"`
	AcceptLineItem bool     `json:"accept_lineitem,omitempty"`
	Title          string   `json:"title,omitempty"`
	Data           string   `json:"data,omitempty"`
}

type idClaims struct {
	Nonce      string            `json:"nonce"`
	Azp        string            `json:"azp"`
	Sub        string            `json:"sub"`
	Message    string            `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version    string            `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	Deployment string            `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	Target     string            `json:"https://purl.imsglobal.org/spec/lti/claim/target_link_uri"`
	Resource   ResourceLink      `json:"https://purl.imsglobal.org/spec/lti/claim/resource_link"`
	Roles      []string          `json:"https://purl.imsglobal.org/spec/lti/claim/roles"`
	Custom     map[string]string `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
	Present    struct {
		Locale string `json:"locale"`
	} `json:"https://purl.imsglobal.org/spec/lti/claim/launch_presentation"`
	DL  *DeepLinkSettings `json:"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"`
	AGS *AGSClaim         `json:"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"`
}

// VerifyLaunch checks a launch's state and id_token (OIDC Core §3.2.2.11 and LTI
// Security Framework §5.1.3): the signature against the platform's key set, iss, aud,
// azp, exp and iat, the nonce (once only), the deployment id, the message type and
// version, and the claims the message type requires.
func (t *Tool) VerifyLaunch(ctx context.Context, idToken, state string) (*Launch, error) {
	if idToken == "" || state == "" {
		return nil, fail(KindState, "the launch carries no id_token or no state: it must come from the platform after /lti/login")
	}
	var st loginState
	if err := t.unseal(state, "state", &st); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == KindExpired {
			return nil, fail(KindExpired, "the login started more than %s ago", StateTTL)
		}
		return nil, fail(KindState, "the state is not one this tool issued")
	}
	p, err := t.platform(st.Issuer, st.ClientID)
	if err != nil {
		return nil, err
	}
	payload, err := t.verifySignature(ctx, p, []byte(idToken))
	if err != nil {
		return nil, err
	}
	_, err = jwt.Parse(payload, jwt.WithVerify(false), jwt.WithValidate(true), jwt.WithIssuer(p.Issuer),
		jwt.WithAudience(p.ClientID), jwt.WithClock(jwt.ClockFunc(t.now)), jwt.WithAcceptableSkew(ClockSkew),
		jwt.WithRequiredClaim("exp"), jwt.WithRequiredClaim("iat"), jwt.WithRequiredClaim("sub"))
	switch {
	case err == nil:
	case errors.Is(err, jwt.TokenExpiredError()), errors.Is(err, jwt.InvalidIssuedAtError()), errors.Is(err, jwt.TokenNotYetValidError()):
		return nil, fail(KindExpired, "%v", err)
	case errors.Is(err, jwt.InvalidAudienceError()):
		return nil, fail(KindAudience, "the token is not for client_id %q: %v", p.ClientID, err)
	case errors.Is(err, jwt.InvalidIssuerError()):
		return nil, fail(KindIssuer, "the token is not from %q: %v", p.Issuer, err)
	default:
		return nil, fail(KindClaims, "%v", err)
	}
	var c idClaims
	var raw struct {
		Aud any `json:"aud"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fail(KindClaims, "%v", err)
	}
	json.Unmarshal(payload, &raw)
	// OIDC Core §3.2.2.11 (3, 4): with several audiences azp is required; when present
	// it must be our client id.
	if auds, ok := raw.Aud.([]any); ok && len(auds) > 1 && c.Azp == "" {
		return nil, fail(KindAudience, "the token has several audiences and no azp")
	}
	if c.Azp != "" && c.Azp != p.ClientID {
		return nil, fail(KindAudience, "azp %q is not this tool's client_id %q", c.Azp, p.ClientID)
	}
	if c.Nonce == "" || c.Nonce != st.Nonce {
		return nil, fail(KindState, "the token's nonce is not the one this login sent")
	}
	if !slices.Contains(p.Deployments, c.Deployment) {
		return nil, fail(KindDeployment, "deployment %q is not registered for %s", c.Deployment, p.Name)
	}
	if c.Version != "1.3.0" {
		return nil, fail(KindMessage, "LTI version %q; this tool speaks 1.3.0", c.Version)
	}
	l := &Launch{Platform: p, MessageType: c.Message, Deployment: c.Deployment, Subject: c.Sub, Target: c.Target,
		Locale: c.Present.Locale, Roles: c.Roles, Custom: c.Custom, Resource: c.Resource, AGS: c.AGS, DeepLink: c.DL}
	switch c.Message {
	case MsgResourceLink:
		if c.Resource.ID == "" {
			return nil, fail(KindClaims, "a resource link launch needs resource_link.id")
		}
		if c.Target == "" || !t.ownURL(c.Target) {
			return nil, fail(KindClaims, "target_link_uri %q is not on this tool", c.Target)
		}
	case MsgDeepLinking:
		if c.DL == nil || c.DL.ReturnURL == "" {
			return nil, fail(KindClaims, "a deep linking request needs deep_linking_settings.deep_link_return_url")
		}
		if err := checkURL("deep_link_return_url", c.DL.ReturnURL); err != nil {
			return nil, fail(KindClaims, "%v", err)
		}
	default:
		return nil, fail(KindMessage, "message type %q is not one this tool handles", c.Message)
	}
	// Last, once everything else holds: the nonce is spent.
	exp := t.now().Add(StateTTL + ClockSkew)
	if err := t.spend(st.Nonce, exp); err != nil {
		return nil, err
	}
	return l, nil
}

// spend records a nonce as used, refusing one seen before.
func (t *Tool) spend(nonce string, until time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.nonces[nonce]; seen {
		return fail(KindReplayed, "this launch was already used once")
	}
	if len(t.nonces) >= MaxNonces {
		now := t.now()
		for n, u := range t.nonces {
			if now.After(u) {
				delete(t.nonces, n)
			}
		}
		if len(t.nonces) >= MaxNonces {
			return fail(KindBusy, "%d launches in the last %s: try again in a few minutes", MaxNonces, StateTTL)
		}
	}
	t.nonces[nonce] = until
	return nil
}

// verifySignature checks the token's signature with the platform's key set, fetching
// the set again once when the token names a key it lacks (the platform rotated keys).
func (t *Tool) verifySignature(ctx context.Context, p *Platform, tok []byte) ([]byte, error) {
	for attempt := 0; attempt < 2; attempt++ {
		set, err := t.keySet(ctx, p, attempt > 0)
		if err != nil {
			return nil, fail(KindForged, "the platform's key set at %s cannot be read: %v", p.KeySetURL, err)
		}
		payload, err := jws.Verify(tok, jws.WithKeySet(set, jws.WithInferAlgorithmFromKey(true)))
		if err == nil {
			return payload, nil
		}
		if attempt == 1 {
			return nil, fail(KindForged, "the signature does not verify with %s's keys: %v", p.Name, err)
		}
	}
	panic("unreachable")
}

func (t *Tool) keySet(ctx context.Context, p *Platform, refresh bool) (jwk.Set, error) {
	t.mu.Lock()
	ks, ok := t.sets[p.KeySetURL]
	t.mu.Unlock()
	if ok && !refresh && t.now().Sub(ks.fetched) < KeySetTTL {
		return ks.set, nil
	}
	set, err := jwk.Fetch(ctx, p.KeySetURL, jwk.WithHTTPClient(t.client))
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.sets[p.KeySetURL] = keySet{set: set, fetched: t.now()}
	t.mu.Unlock()
	return set, nil
}
