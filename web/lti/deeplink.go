package lti

import (
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// DeepLinkSession is what the tool remembers, signed, between showing a teacher the
// lesson picker and answering the platform.
type DeepLinkSession struct {
	Issuer     string           `json:"iss"`
	ClientID   string           `json:"client_id"`
	Deployment string           `json:"deployment"`
	Settings   DeepLinkSettings `json:"settings"`
}

// DeepLinkToken seals a verified deep linking request for the picker's form.
func (t *Tool) DeepLinkToken(l *Launch) (string, error) {
	if l.DeepLink == nil {
		return "", fail(KindMessage, "not a deep linking request")
	}
	return t.seal("deeplink", DeepLinkTTL, DeepLinkSession{Issuer: l.Platform.Issuer, ClientID: l.Platform.ClientID,
		Deployment: l.Deployment, Settings: *l.DeepLink})
}

// OpenDeepLink checks a picker form's token.
func (t *Tool) OpenDeepLink(tok string) (*DeepLinkSession, error) {
	var s DeepLinkSession
	if err := t.unseal(tok, "deeplink", &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ContentItem is one ltiResourceLink the teacher picked (Deep Linking §3.1).
type ContentItem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title,omitempty"`
	Text   string            `json:"text,omitempty"`
	URL    string            `json:"url,omitempty"`
	Custom map[string]string `json:"custom,omitempty"`
	// LineItem asks the platform to make a gradebook column for the link (only sent
	// when the request accepts line items).
	LineItem *LineItemSpec `json:"lineItem,omitempty"`
	Iframe   *struct {
		Height int `json:"height"`
	} `json:"iframe,omitempty"`
}

// LineItemSpec is a line item as a content item declares it.
type LineItemSpec struct {
	ScoreMaximum float64 `json:"scoreMaximum"`
	Label        string  `json:"label"`
	ResourceID   string  `json:"resourceId,omitempty"`
}

// DeepLinkResponse signs the LtiDeepLinkingResponse carrying the items (Deep Linking
// §4.5): iss is the tool's client id, aud the platform. It returns the platform's return
// URL, to which the browser posts the token as the form field JWT.
func (t *Tool) DeepLinkResponse(s *DeepLinkSession, items []ContentItem) (returnURL, token string, err error) {
	if !s.Settings.AcceptLineItem {
		for i := range items {
			items[i].LineItem = nil
		}
	}
	if len(items) > 1 && !s.Settings.AcceptMultiple {
		return "", "", fail(KindClaims, "the platform accepts one item, not %d", len(items))
	}
	now := t.now()
	b := jwt.NewBuilder().Issuer(s.ClientID).Audience([]string{s.Issuer}).IssuedAt(now).Expiration(now.Add(5*time.Minute)).
		Claim("nonce", randomString()).
		Claim(ClaimDeployment, s.Deployment).
		Claim(ClaimMessage, "LtiDeepLinkingResponse").
		Claim(ClaimVersion, "1.3.0").
		Claim("https://purl.imsglobal.org/spec/lti-dl/claim/content_items", items)
	if s.Settings.Data != "" {
		b = b.Claim("https://purl.imsglobal.org/spec/lti-dl/claim/data", s.Settings.Data)
	}
	tok, err := b.Build()
	if err != nil {
		return "", "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), t.key))
	if err != nil {
		return "", "", fmt.Errorf("signing the deep linking response: %w", err)
	}
	return s.Settings.ReturnURL, string(signed), nil
}
