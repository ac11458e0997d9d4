package web

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func do(t testing.TB, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

var getRoutes = []string{
	"/", "/healthz", "/lessons/three-way-handshake", "/embed/lessons/four-way-close", "/lab",
	"/lessons/four-way-close/diagram.svg", "/lessons/lost-final-ack/capture.pcap",
	"/lessons/https-tls13/capture.pcapng", "/compare", "/embed/compare", "/compare.json",
	"/static/js/player.js", "/diagram.css",
	"/lessons/four-way-close/diagram.png", "/lessons/four-way-close/diagram.mmd", "/embed/lab",
	"/oembed?url=/lessons/four-way-close",
}

// HEAD answers every GET route with the GET's status and headers and no body; any other
// method gets 405 with the methods that are allowed.
func TestHeadAndMethodNotAllowed(t *testing.T) {
	s := NewServer(Config{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, path := range getRoutes {
		res, err := ts.Client().Head(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || len(b) != 0 || res.Header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: status %d, %d body bytes, Content-Type %q; want 200, none, set", path, res.StatusCode, len(b), res.Header.Get("Content-Type"))
		}
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			res := do(t, s, m, path, nil)
			if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: status %d, Allow %q; want 405, \"GET, HEAD\"", m, path, res.StatusCode, res.Header.Get("Allow"))
			}
		}
	}
}

// /static/ serves files and lists no directory.
func TestStaticListsNothing(t *testing.T) {
	s := NewServer(Config{})
	for _, path := range []string{"/static/", "/static/js/", "/static/js", "/static/nope.js", "/static/../go.mod"} {
		if res := do(t, s, http.MethodGet, path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
}

// A render is kept: the same address gives the same bytes, an ETag, and 304 for
// If-None-Match; the gzip form decodes to the same page.
func TestRenderCacheETag(t *testing.T) {
	s := NewServer(Config{})
	const path = "/lessons/syn-flood?rtt=80ms"
	a := do(t, s, http.MethodGet, path, nil)
	b := do(t, s, http.MethodGet, path, nil)
	ab, bb := body(t, a), body(t, b)
	etag := a.Header.Get("ETag")
	if a.StatusCode != 200 || etag == "" || b.Header.Get("ETag") != etag {
		t.Fatalf("status %d, ETags %q and %q; want 200 and one stable ETag", a.StatusCode, etag, b.Header.Get("ETag"))
	}
	if ab != bb {
		t.Fatal("two responses for one address differ")
	}
	if sum := sha256.Sum256([]byte(ab)); etag != `"`+hex.EncodeToString(sum[:12])+`"` {
		t.Fatalf("ETag %s is not the body's digest", etag)
	}
	if entries, _ := s.cache.stats(); entries != 1 {
		t.Fatalf("cache holds %d entries, want 1", entries)
	}
	nm := do(t, s, http.MethodGet, path, map[string]string{"If-None-Match": etag})
	if nm.StatusCode != http.StatusNotModified || len(body(t, nm)) != 0 {
		t.Fatalf("If-None-Match: status %d; want 304 with no body", nm.StatusCode)
	}
	gz := do(t, s, http.MethodGet, path, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", gz.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr) // also checks the CRC and length
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	if string(plain) != ab {
		t.Fatal("the gzip body is not the page")
	}
	if nm := do(t, s, http.MethodGet, path, map[string]string{"If-None-Match": gz.Header.Get("ETag"), "Accept-Encoding": "gzip"}); nm.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match with the gzip ETag: status %d, want 304", nm.StatusCode)
	}
	// The language is part of the address: another language is another render.
	zh := do(t, s, http.MethodGet, path, map[string]string{"Accept-Language": "zh-CN"})
	if zh.Header.Get("ETag") == etag {
		t.Fatal("the Chinese page has the English page's ETag")
	}
	// Errors are not kept.
	do(t, s, http.MethodGet, "/lessons/no-such-thing", nil)
	if entries, _ := s.cache.stats(); entries != 2 {
		t.Fatalf("cache holds %d entries, want 2 (a 404 is not kept)", entries)
	}
}

// Replicas behind a load balancer: two servers built independently give every cached
// address the same ETag, so a revalidation that lands on the other one gets 304.
func TestETagSameOnEveryReplica(t *testing.T) {
	a, b := NewServer(Config{}), NewServer(Config{})
	for _, path := range []string{"/", "/lessons/three-way-handshake", "/lessons/syn-flood?rtt=80ms&lang=zh",
		"/embed/lessons/half-close?step=3", "/lab", "/compare?rtt=40ms", "/compare.json",
		"/lessons/https-tls13/diagram.svg", "/lessons/https-tls13/capture.pcapng", "/states.json?lang=zh"} {
		for _, enc := range []string{"", "gzip"} {
			hdr := map[string]string{"Accept-Encoding": enc}
			ra, rb := do(t, a, http.MethodGet, path, hdr), do(t, b, http.MethodGet, path, hdr)
			ea, eb := ra.Header.Get("ETag"), rb.Header.Get("ETag")
			if ra.StatusCode != 200 || ea == "" || ea != eb {
				t.Errorf("%s (%q): status %d, ETags %q and %q; want one ETag on both", path, enc, ra.StatusCode, ea, eb)
				continue
			}
			hdr["If-None-Match"] = ea
			if nm := do(t, b, http.MethodGet, path, hdr); nm.StatusCode != http.StatusNotModified {
				t.Errorf("%s (%q): revalidating replica A's ETag on replica B: status %d, want 304", path, enc, nm.StatusCode)
			}
		}
	}
}

// The cache holds at most its entries and bytes: at the edge everything stays, one more
// evicts the least recently used.
func TestRenderCacheBounds(t *testing.T) {
	entry := func(key string, cost int) *cachedRender { return &cachedRender{key: key, cost: cost} }
	c := newRenderCache(300, 3)
	c.put(entry("a", 100))
	c.put(entry("b", 100))
	c.put(entry("c", 100))
	if n, b := c.stats(); n != 3 || b != 300 {
		t.Fatalf("at the edge: %d entries, %d bytes; want 3, 300", n, b)
	}
	c.get("a") // a is now the most recently used
	c.put(entry("d", 1))
	if c.get("b") != nil || c.get("a") == nil || c.get("d") == nil {
		t.Fatal("one entry over the limit must evict the least recently used (b)")
	}
	c.put(entry("e", 101)) // bytes: a 100 + c 100 + d 1 + e 101 > 300
	if n, b := c.stats(); b > 300 || n > 3 {
		t.Fatalf("over the byte limit: %d entries, %d bytes", n, b)
	}
	c.put(entry("huge", 301))
	if c.get("huge") != nil {
		t.Fatal("an entry larger than the whole budget is not kept")
	}
	c.put(entry("e", 50)) // replacing an entry counts its new size only
	if _, b := c.stats(); b > 300 {
		t.Fatalf("replacing: %d bytes", b)
	}
}

// BenchmarkRepeatSynFloodPage is a repeat request for the heaviest page (served from the
// render cache). BENCHMARKS.md has the figure.
func BenchmarkRepeatSynFloodPage(b *testing.B) {
	s := NewServer(Config{})
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			do(b, s, http.MethodGet, "/lessons/syn-flood", nil)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/lessons/syn-flood", nil)
				r.Header.Set("Accept-Encoding", enc)
				w := &discardWriter{h: http.Header{}}
				s.ServeHTTP(w, r)
				if w.code != 200 || w.n < 10_000 { // the page is ~140 KB, ~23 KB gzipped
					b.Fatalf("status %d, %d bytes", w.code, w.n)
				}
			}
		})
	}
}

// discardWriter counts what a handler writes, as a socket would take it.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(c int) {
	if w.code == 0 {
		w.code = c
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(200)
	w.n += len(b)
	return len(b), nil
}

// Readers opening one new address at once share one render.
func TestRenderCacheOneRenderPerAddress(t *testing.T) {
	s := NewServer(Config{})
	var renders atomic.Int32
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renders.Add(1)
		<-release
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("page"))
	})
	h := s.cache.cached(slow)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := do(t, h, http.MethodGet, "/same", nil); body(t, res) != "page" {
				t.Error("a waiting reader did not get the page")
			}
		}()
	}
	for renders.Load() == 0 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := renders.Load(); n != 1 {
		t.Fatalf("%d renders for one address, want 1", n)
	}
}
