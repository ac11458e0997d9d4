package web

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"synack/engine/catalog"
)

// No handler of package web writes an error body of its own: http.Error and
// http.NotFound are called from errors.go alone (httpError, which words every error from
// the catalogue in the reader's language), and an upload's error is never a bare
// err.Error() or a string literal.
func TestErrorBodiesAreCatalogued(t *testing.T) {
	names, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	checked := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_templ.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if id, ok := fn.X.(*ast.Ident); ok && id.Name == "http" && (fn.Sel.Name == "Error" || fn.Sel.Name == "NotFound") && name != "errors.go" {
					t.Errorf("%s: calls http.%s: answer with httpError and a catalogue key", fset.Position(call.Pos()), fn.Sel.Name)
				}
			case *ast.Ident:
				if fn.Name == "uploadError" && len(call.Args) == 3 && englishOnly(call.Args[2]) {
					t.Errorf("%s: uploadError with an English-only message: use the catalogue", fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("checked only %d files; is the test looking at web/?", checked)
	}
}

// englishOnly reports whether an error message is written in Go alone: a string
// literal, or an error's own text with nothing from the catalogue before it.
func englishOnly(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.CallExpr:
		sel, ok := e.Fun.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Error" && len(e.Args) == 0
	}
	return false
}

// Every error path a reader can reach answers in the reader's language: the catalogue's
// text, in Chinese when the address or the browser asks for it, in English otherwise.
func TestErrorPathsSpeakBothLanguages(t *testing.T) {
	s := NewServer(Config{})
	cases := []struct {
		name, method, target string
		hdr                  map[string]string
		status               int
		key                  string
		args                 []any
	}{
		{"unknown story's export", "GET", "/lessons/no-such-story/diagram.svg", nil, 404, "error.notfound.id", []any{"no-such-story"}},
		{"unknown story's capture", "GET", "/lessons/no-such-story/capture.pcap", nil, 404, "error.notfound.id", []any{"no-such-story"}},
		{"method", "POST", "/lessons/three-way-handshake", nil, 405, "error.method", nil},
		{"oembed format", "GET", "/oembed?format=xml&url=/lessons/four-way-close", nil, 501, "oembed.err.format", []any{"xml"}},
		{"oembed no url", "GET", "/oembed", nil, 400, "oembed.err.url", nil},
		{"oembed other site", "GET", "/oembed?url=http://other.example/lessons/four-way-close", nil, 404, "oembed.err.host", []any{"other.example", "example.com"}},
		{"oembed no page", "GET", "/oembed?url=/lessons/no-such-story", nil, 404, "oembed.err.page", []any{"/lessons/no-such-story"}},
		{"oembed pixels", "GET", "/oembed?url=/lessons/four-way-close&maxwidth=wide", nil, 400, "oembed.err.pixels", []any{"maxwidth", "wide"}},
		{"socket under another name", "GET", "/ws", nil, 403, "ws.refuse.host", []any{"example.com"}},
		{"socket from another site", "GET", "/ws", map[string]string{"Host": "127.0.0.1:8080", "Origin": "https://other.example"}, 403, "ws.refuse.origin", nil},
		{"directory listing", "GET", "/static/js/", nil, 404, "error.notfound.page", nil},
		{"key set without LTI", "GET", "/.well-known/jwks.json", nil, 404, "error.notfound.page", nil},
		{"launch by GET", "GET", "/lti/launch", nil, 405, "lti.post-only", nil},
		{"upload gone", "GET", "/import/no-such-upload/0/capture.pcapng", nil, 404, "import.gone.text", nil},
	}
	for _, c := range cases {
		for _, lang := range []string{"en", "zh-query", "zh-header"} {
			t.Run(c.name+"/"+lang, func(t *testing.T) {
				target, hdr := c.target, map[string]string{}
				for k, v := range c.hdr {
					hdr[k] = v
				}
				switch lang {
				case "zh-query":
					sep := "?"
					if strings.Contains(target, "?") {
						sep = "&"
					}
					target += sep + "lang=zh"
				case "zh-header":
					hdr["Accept-Language"] = "zh-CN,zh;q=0.9,en;q=0.5"
				}
				r := httptest.NewRequest(c.method, target, nil)
				for k, v := range hdr {
					if k == "Host" {
						r.Host = v
					}
					r.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				res := w.Result()
				b, _ := io.ReadAll(res.Body)
				body := strings.TrimSuffix(string(b), "\n")
				want := catalog.F(c.key, c.args...)
				if res.StatusCode != c.status {
					t.Fatalf("%s %s: status %d, want %d (body %q)", c.method, target, res.StatusCode, c.status, body)
				}
				if strings.HasPrefix(lang, "zh") {
					if body != want.ZH || !hasHan(body) {
						t.Errorf("%s %s in Chinese: body %q, want %q", c.method, target, body, want.ZH)
					}
				} else if body != want.EN || hasHan(body) {
					t.Errorf("%s %s in English: body %q, want %q", c.method, target, body, want.EN)
				}
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("Content-Type %q, want text/plain", ct)
				}
			})
		}
	}
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// A refused lab action is a catalogue error: the lab's socket words it in the page's
// language.
func TestLabErrorsInBothLanguages(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	for _, lang := range []string{"en", "zh"} {
		w, _, _ := dial(t, ts, "")
		w.send(map[string]any{"type": "lab-start", "query": "rtt=50ms&lang=" + lang})
		w.next("init")
		w.send(map[string]any{"type": "lab", "action": map[string]any{"endpoint": "client", "op": "send", "bytes": 100}})
		var msg string
		json.Unmarshal(w.next("lab-error")["message"], &msg)
		want := catalog.F("lab.err.no-conn", catalog.T("lane.client"), "send").In(lang)
		if msg != want || hasHan(msg) != (lang == "zh") {
			t.Errorf("send with no connection, lang=%s: %q, want %q", lang, msg, want)
		}
		w.close()
	}
}
