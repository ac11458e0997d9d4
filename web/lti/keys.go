package lti

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// KeyBits is the size of a generated tool key (LTI Security Framework §6.1 asks for
// RSA keys used with RS256).
const KeyBits = 2048

// loadKey reads the tool's RSA private key from a PEM file, or generates one when
// path is empty.
func loadKey(path string) (*rsa.PrivateKey, error) {
	if path == "" {
		return rsa.GenerateKey(rand.Reader, KeyBits)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block: the file should hold an RSA private key (-----BEGIN PRIVATE KEY-----)", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: the key is a %T; LTI 1.3 tools sign with RSA (RS256)", path, k)
	}
	return rk, nil
}

// toolKeys turns the RSA key into the signing JWK (kid = RFC 7638 thumbprint) and the
// public set served at /.well-known/jwks.json.
func toolKeys(priv *rsa.PrivateKey) (jwk.Key, jwk.Set, error) {
	k, err := jwk.Import(priv)
	if err != nil {
		return nil, nil, err
	}
	if err := jwk.AssignKeyID(k); err != nil {
		return nil, nil, err
	}
	k.Set(jwk.AlgorithmKey, jwa.RS256())
	k.Set(jwk.KeyUsageKey, "sig")
	set := jwk.NewSet()
	set.AddKey(k)
	pub, err := jwk.PublicSetOf(set)
	if err != nil {
		return nil, nil, err
	}
	return k, pub, nil
}

// sealed is the envelope of the tool's own short-lived tokens (login state, a deep
// linking session, a grade session): signed with the tool key, for the tool alone.
type sealed struct {
	Aud string          `json:"aud"`
	Exp int64           `json:"exp"`
	Ctx json.RawMessage `json:"ctx"`
}

var errSeal = errors.New("not a token this tool signed")

// seal signs v for purpose aud, valid for ttl.
func (t *Tool) seal(aud string, ttl time.Duration, v any) (string, error) {
	ctx, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(sealed{Aud: aud, Exp: t.now().Add(ttl).Unix(), Ctx: ctx})
	if err != nil {
		return "", err
	}
	b, err := jws.Sign(payload, jws.WithKey(jwa.RS256(), t.key))
	return string(b), err
}

// unseal checks a token of the tool's own and decodes it into v.
func (t *Tool) unseal(tok, aud string, v any) error {
	payload, err := jws.Verify([]byte(tok), jws.WithKeySet(t.pub, jws.WithInferAlgorithmFromKey(true)))
	if err != nil {
		return &Error{Kind: KindForged, Err: fmt.Errorf("%w: %v", errSeal, err)}
	}
	var s sealed
	if err := json.Unmarshal(payload, &s); err != nil || s.Aud != aud {
		return &Error{Kind: KindForged, Err: errSeal}
	}
	if t.now().Unix() > s.Exp {
		return &Error{Kind: KindExpired, Err: errors.New("the tool's own token has expired")}
	}
	return json.Unmarshal(s.Ctx, v)
}
