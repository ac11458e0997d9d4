// Package lti makes synack an LTI 1.3 tool: the OIDC third-party login, the signed
// launch verified against each platform's key set, deep linking (a teacher picks a
// lesson and its parameters; the tool answers with a signed response) and the
// Assignment and Grade Services (a student's answers posted as a score). It holds the
// protocol only: the pages and routes live in package web. Every signature is made and
// checked by lestrrat-go/jwx; nothing here is cryptography of its own.
//
// Specifications: LTI Core 1.3 and LTI Security Framework 1.0 (1EdTech), Deep Linking
// 2.0, Assignment and Grade Services 2.0, OpenID Connect Core 1.0 §3.2.2.11 (ID token
// validation) and RFC 7523 (JWT client assertions).
package lti

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Config is the file given with `synack serve -lti FILE`: the tool's public address,
// its private key, and the platforms (LMS instances) registered with it.
type Config struct {
	// URL is the tool's public base address (https://synack.example): the redirect
	// URI, deep-linked launch URLs and the tool's issuer are made from it.
	URL string `json:"tool_url"`
	// KeyFile is a PEM file with the tool's RSA private key (PKCS#1 or PKCS#8),
	// relative to the config file. Empty: a key is generated at start (see README).
	KeyFile   string     `json:"private_key_file,omitempty"`
	Platforms []Platform `json:"platforms"`
}

// Platform is one LMS registration: what the platform's administrator was given by
// the tool and what the tool was given back.
type Platform struct {
	Name string `json:"name"`
	// Issuer is the platform's iss (Moodle: its site URL; Canvas:
	// https://canvas.instructure.com).
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	// Deployments are the deployment ids launches may carry.
	Deployments []string `json:"deployment_ids"`
	AuthURL     string   `json:"auth_login_url"` // OIDC authorization endpoint
	TokenURL    string   `json:"auth_token_url"` // OAuth 2 token endpoint (AGS)
	KeySetURL   string   `json:"key_set_url"`    // the platform's JWKS
	// TokenAudience is the aud of the tool's client assertion, when the platform
	// wants something other than TokenURL.
	TokenAudience string `json:"auth_token_audience,omitempty"`
}

// MaxConfigBytes bounds the config file.
const MaxConfigBytes = 1 << 20

// LoadConfig reads and checks a config file. Errors name the file, and the byte offset
// of a JSON error.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	if len(b) > MaxConfigBytes {
		return Config{}, fmt.Errorf("%s: %d bytes, more than the %d a config may have", path, len(b), MaxConfigBytes)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if c.KeyFile != "" && !filepath.IsAbs(c.KeyFile) {
		c.KeyFile = filepath.Join(filepath.Dir(path), c.KeyFile)
	}
	return c, nil
}

// ParseConfig decodes and checks a config.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return c, fmt.Errorf("byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return c, fmt.Errorf("byte %d: %q should be %s, not %s", te.Offset, te.Field, te.Type, te.Value)
		}
		return c, err
	}
	if err := checkURL("tool_url", c.URL); err != nil {
		return c, err
	}
	c.URL = strings.TrimSuffix(c.URL, "/")
	if len(c.Platforms) == 0 {
		return c, errors.New("no platforms: register at least one under \"platforms\"")
	}
	seen := map[string]bool{}
	for i, p := range c.Platforms {
		where := fmt.Sprintf("platforms[%d]", i)
		if p.Issuer == "" || p.ClientID == "" {
			return c, fmt.Errorf("%s: issuer and client_id are required", where)
		}
		if seen[p.Issuer+"\x00"+p.ClientID] {
			return c, fmt.Errorf("%s: issuer %q with client_id %q is registered twice", where, p.Issuer, p.ClientID)
		}
		seen[p.Issuer+"\x00"+p.ClientID] = true
		if len(p.Deployments) == 0 {
			return c, fmt.Errorf("%s: deployment_ids is empty: list the deployment ids the platform shows", where)
		}
		for _, f := range []struct{ name, v string }{{"auth_login_url", p.AuthURL}, {"auth_token_url", p.TokenURL}, {"key_set_url", p.KeySetURL}} {
			if err := checkURL(where+"."+f.name, f.v); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

func checkURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: %q is not an absolute http(s) URL", field, v)
	}
	return nil
}
