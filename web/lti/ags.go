package lti

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// GradeSession is what a launched page may post scores for, signed by the tool and held
// by the page: one user, one resource link, one lesson run.
type GradeSession struct {
	Issuer     string   `json:"iss"`
	ClientID   string   `json:"client_id"`
	Deployment string   `json:"deployment"`
	User       string   `json:"sub"`
	Resource   string   `json:"resource_link"`
	Lesson     string   `json:"lesson"`
	Query      string   `json:"query"` // the lesson's parameters, as in its address
	Title      string   `json:"title"`
	LineItem   string   `json:"lineitem,omitempty"`
	LineItems  string   `json:"lineitems,omitempty"`
	Scope      []string `json:"scope"`
}

// GradeToken seals a grade session for a resource link launch that can post scores:
// the platform granted the score scope and either gave the activity's line item or
// allows the tool to make one. Otherwise it returns "" (the lesson runs ungraded).
func (t *Tool) GradeToken(l *Launch, lesson, query, title string) (string, error) {
	if l.AGS == nil || !slices.Contains(l.AGS.Scope, ScopeScore) {
		return "", nil
	}
	if l.AGS.LineItem == "" && (l.AGS.LineItems == "" || !slices.Contains(l.AGS.Scope, ScopeLineItem)) {
		return "", nil
	}
	return t.seal("grade", GradeTTL, GradeSession{Issuer: l.Platform.Issuer, ClientID: l.Platform.ClientID, Deployment: l.Deployment,
		User: l.Subject, Resource: l.Resource.ID, Lesson: lesson, Query: query, Title: title,
		LineItem: l.AGS.LineItem, LineItems: l.AGS.LineItems, Scope: l.AGS.Scope})
}

// OpenGrade checks a page's grade token.
func (t *Tool) OpenGrade(tok string) (*GradeSession, error) {
	var g GradeSession
	if err := t.unseal(tok, "grade", &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// Score is one result posted to a line item (AGS §3.4).
type Score struct {
	Given, Maximum int
	Completed      bool
}

// PostScore posts a score for the session's user: to the activity's own line item when
// the launch named one (Moodle's "grade sync only" gives only that), else to the line
// item of this resource link and lesson, found or made in the container.
func (t *Tool) PostScore(ctx context.Context, g *GradeSession, s Score) error {
	p, err := t.platform(g.Issuer, g.ClientID)
	if err != nil {
		return err
	}
	item := g.LineItem
	if item == "" {
		if item, err = t.findOrMakeLineItem(ctx, p, g, s.Maximum); err != nil {
			return err
		}
	}
	progress, grading := "InProgress", "Pending"
	if s.Completed {
		progress, grading = "Completed", "FullyGraded"
	}
	body := map[string]any{
		"userId": g.User, "scoreGiven": s.Given, "scoreMaximum": s.Maximum,
		"activityProgress": progress, "gradingProgress": grading,
		"timestamp": t.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	}
	u, err := url.Parse(item)
	if err != nil {
		return fail(KindGrades, "line item %q: %v", item, err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/scores" // AGS §3.4: {lineitem}/scores, query kept
	_, err = t.call(ctx, p, http.MethodPost, u.String(), "application/vnd.ims.lis.v1.score+json", body, ScopeScore)
	return err
}

func (t *Tool) findOrMakeLineItem(ctx context.Context, p *Platform, g *GradeSession, max int) (string, error) {
	if g.LineItems == "" || !slices.Contains(g.Scope, ScopeLineItem) {
		return "", fail(KindGrades, "the platform gave no line item and does not let the tool make one")
	}
	u, err := url.Parse(g.LineItems)
	if err != nil {
		return "", fail(KindGrades, "lineitems %q: %v", g.LineItems, err)
	}
	q := u.Query()
	q.Set("resource_link_id", g.Resource)
	q.Set("resource_id", g.Lesson)
	u.RawQuery = q.Encode()
	b, err := t.call(ctx, p, http.MethodGet, u.String(), "", nil, ScopeLineItem)
	if err != nil {
		return "", err
	}
	var items []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &items); err != nil {
		return "", fail(KindGrades, "the line item container answered %v", err)
	}
	if len(items) > 0 && items[0].ID != "" {
		return items[0].ID, nil
	}
	b, err = t.call(ctx, p, http.MethodPost, g.LineItems, "application/vnd.ims.lis.v2.lineitem+json",
		map[string]any{"scoreMaximum": max, "label": g.Title, "resourceId": g.Lesson, "resourceLinkId": g.Resource}, ScopeLineItem)
	if err != nil {
		return "", err
	}
	var made struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &made); err != nil || made.ID == "" {
		return "", fail(KindGrades, "the platform made a line item but gave no id")
	}
	return made.ID, nil
}

// MaxServiceBody bounds what the tool reads from a platform's service answer.
const MaxServiceBody = 1 << 20

// call makes one service request with a bearer token for scope.
func (t *Tool) call(ctx context.Context, p *Platform, method, u, ctype string, body any, scope string) ([]byte, error) {
	tok, err := t.accessToken(ctx, p, scope)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fail(KindGrades, "%v", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method == http.MethodGet {
		req.Header.Set("Accept", "application/vnd.ims.lis.v2.lineitemcontainer+json")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, fail(KindGrades, "%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxServiceBody))
	if resp.StatusCode/100 != 2 {
		return nil, fail(KindGrades, "%s %s: the platform answered %s", method, u, resp.Status)
	}
	return b, nil
}

type accessToken struct {
	token string
	until time.Time
}

// accessToken gets (or reuses) an OAuth 2 access token with the client credentials
// grant and a JWT client assertion signed by the tool key (LTI Security Framework
// §4.1, RFC 7523 §2.2).
func (t *Tool) accessToken(ctx context.Context, p *Platform, scope string) (string, error) {
	key := p.Issuer + "\x00" + p.ClientID + "\x00" + scope
	t.mu.Lock()
	at, ok := t.tokens[key]
	t.mu.Unlock()
	if ok && t.now().Before(at.until) {
		return at.token, nil
	}
	aud := p.TokenAudience
	if aud == "" {
		aud = p.TokenURL
	}
	now := t.now()
	a, err := jwt.NewBuilder().Issuer(p.ClientID).Subject(p.ClientID).Audience([]string{aud}).IssuedAt(now).
		Expiration(now.Add(5 * time.Minute)).JwtID(randomString()).Build()
	if err != nil {
		return "", err
	}
	assertion, err := jwt.Sign(a, jwt.WithKey(jwa.RS256(), t.key))
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {string(assertion)},
		"scope":                 {scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fail(KindGrades, "%v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", fail(KindGrades, "token endpoint: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxServiceBody))
	if resp.StatusCode != http.StatusOK {
		return "", fail(KindGrades, "the token endpoint answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
		return "", fail(KindGrades, "the token endpoint gave no access_token")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	t.mu.Lock()
	t.tokens[key] = accessToken{token: tr.AccessToken, until: now.Add(life - min(life/10, time.Minute))}
	t.mu.Unlock()
	return tr.AccessToken, nil
}

var _ = fmt.Sprint
