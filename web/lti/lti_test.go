package lti

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const goodConfig = `{"tool_url": "https://synack.example/",
 "platforms": [{"name": "Moodle", "issuer": "https://moodle.example", "client_id": "abc", "deployment_ids": ["1"],
  "auth_login_url": "https://moodle.example/mod/lti/auth.php", "auth_token_url": "https://moodle.example/mod/lti/token.php",
  "key_set_url": "https://moodle.example/mod/lti/certs.php"}]}`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != "https://synack.example" {
		t.Errorf("URL = %q, want the trailing slash trimmed", c.URL)
	}
	bad := []struct{ name, text, want string }{
		{"syntax", `{"tool_url": "https://x",}`, "byte 26"}, // the 26th byte is the stray }
		{"type", `{"tool_url": 5}`, `"tool_url" should be string`},
		{"unknown field", `{"tool_url": "https://x", "platform": []}`, `unknown field "platform"`},
		{"no platforms", `{"tool_url": "https://x"}`, "no platforms"},
		{"relative url", strings.Replace(goodConfig, `"https://synack.example/"`, `"/synack"`, 1), "tool_url"},
		{"no deployments", strings.Replace(goodConfig, `["1"]`, `[]`, 1), "platforms[0]: deployment_ids is empty"},
		{"bad key set url", strings.Replace(goodConfig, `"https://moodle.example/mod/lti/certs.php"`, `"certs.php"`, 1), "platforms[0].key_set_url"},
	}
	for _, tc := range bad {
		if _, err := ParseConfig([]byte(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadConfigLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "lti.json")
	os.WriteFile(p, []byte(goodConfig+strings.Repeat(" ", MaxConfigBytes-len(goodConfig))), 0o600)
	if _, err := LoadConfig(p); err != nil {
		t.Errorf("a config of exactly MaxConfigBytes: %v", err)
	}
	os.WriteFile(p, []byte(goodConfig+strings.Repeat(" ", MaxConfigBytes-len(goodConfig)+1)), 0o600)
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("a config one byte over: err = %v, want it refused naming the file", err)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	pk8, _ := x509.MarshalPKCS8PrivateKey(priv)
	os.WriteFile(filepath.Join(dir, "pk8.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8}), 0o600)
	os.WriteFile(filepath.Join(dir, "pk1.pem"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}), 0o600)
	os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("not a key"), 0o600)
	for _, f := range []string{"pk8.pem", "pk1.pem"} {
		k, err := loadKey(filepath.Join(dir, f))
		if err != nil || !k.Equal(priv) {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := loadKey(filepath.Join(dir, "junk.pem")); err == nil || !strings.Contains(err.Error(), "no PEM block") {
		t.Errorf("junk.pem: err = %v", err)
	}
	// Two tools with the same key file publish the same key (replicas agree).
	cfg, _ := ParseConfig([]byte(goodConfig))
	cfg.KeyFile = filepath.Join(dir, "pk8.pem")
	a, _ := New(cfg, Options{})
	b, _ := New(cfg, Options{})
	ja, _ := a.KeySetJSON()
	jb, _ := b.KeySetJSON()
	if string(ja) != string(jb) || strings.Contains(string(ja), `"d":`) {
		t.Errorf("key sets differ or hold the private part:\n%s\n%s", ja, jb)
	}
	// A token sealed by one replica opens on the other.
	tok, _ := a.seal("state", time.Minute, loginState{Nonce: "n"})
	var st loginState
	if err := b.unseal(tok, "state", &st); err != nil || st.Nonce != "n" {
		t.Errorf("unseal on the other replica: %v", err)
	}
	if err := b.unseal(tok, "grade", &st); err == nil {
		t.Errorf("a state token opened as a grade token")
	}
}

func TestNonceLimit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tl := &Tool{nonces: map[string]time.Time{}, now: func() time.Time { return now }}
	until := now.Add(StateTTL)
	for i := range MaxNonces {
		if err := tl.spend(strconv.Itoa(i), until); err != nil {
			t.Fatalf("nonce %d of %d refused: %v", i+1, MaxNonces, err)
		}
	}
	var e *Error
	if err := tl.spend("one-more", until); !errors.As(err, &e) || e.Kind != KindBusy {
		t.Fatalf("nonce MaxNonces+1: err = %v, want busy", err)
	}
	now = until.Add(time.Second) // the old ones may be forgotten now
	if err := tl.spend("one-more", now.Add(StateTTL)); err != nil {
		t.Errorf("after the old nonces expired: %v", err)
	}
	if err := tl.spend("one-more", now.Add(StateTTL)); !errors.As(err, &e) || e.Kind != KindReplayed {
		t.Errorf("the same nonce again: err = %v, want replayed", err)
	}
}

// FuzzParseConfig: any bytes give a config or an error, never a panic; an accepted
// config has what a launch needs from every platform.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte(`{"tool_url": "https://x", "platforms": [{}]}`))
	f.Add([]byte(`{"tool_url": 1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			return
		}
		if len(c.Platforms) == 0 || checkURL("tool_url", c.URL) != nil {
			t.Fatalf("accepted a config without platforms or tool URL: %+v", c)
		}
		for _, p := range c.Platforms {
			if p.Issuer == "" || p.ClientID == "" || len(p.Deployments) == 0 || checkURL("", p.KeySetURL) != nil {
				t.Fatalf("accepted a platform a launch cannot use: %+v", p)
			}
		}
	})
}
