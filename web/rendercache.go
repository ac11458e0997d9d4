package web

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Limits of the render cache: pages, drawings and captures depend only on their address
// (path, query, language), so one render serves every reader who asks for the same one.
const (
	// DefaultCacheBytes bounds the bytes the render cache holds (uncompressed and
	// compressed forms together).
	DefaultCacheBytes = 64 << 20
	// DefaultCacheEntries bounds how many renders the cache holds.
	DefaultCacheEntries = 512
)

// compressible lists the content types the cache keeps a gzip form of.
var compressible = []string{"text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json"}

// renderCache is a least-recently-used cache of finished responses, bounded in entries and
// bytes. A render is served as it was made, to every reader: pages carry no per-response
// nonce (the policy allows their fixed inline scripts by hash), so a body and its ETag
// depend only on the address, on every replica.
type renderCache struct {
	maxBytes, maxEntries int

	mu       sync.Mutex
	ll       *list.List // front: most recently used
	items    map[string]*list.Element
	bytes    int
	inflight map[string]*flight // renders under way: concurrent askers wait for them
}

// flight is one render under way; done is closed when e is set.
type flight struct {
	done chan struct{}
	e    *cachedRender
}

type cachedRender struct {
	key    string
	status int
	header http.Header // the handler's own headers (Content-Type, Set-Cookie, ...)
	etag   string      // SHA-256 of the body: the same on every replica
	body   []byte
	gz     []byte // the body as one gzip member; nil: not compressed
	cost   int
}

func newRenderCache(maxBytes, maxEntries int) *renderCache {
	return &renderCache{maxBytes: maxBytes, maxEntries: maxEntries,
		ll: list.New(), items: map[string]*list.Element{}, inflight: map[string]*flight{}}
}

func (c *renderCache) get(key string) *cachedRender {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*cachedRender)
	}
	return nil
}

// put stores e, evicting the least recently used entries until both bounds hold. An
// entry larger than the whole byte budget is not stored.
func (c *renderCache) put(e *cachedRender) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.cost > c.maxBytes {
		return
	}
	if el, ok := c.items[e.key]; ok {
		c.bytes -= el.Value.(*cachedRender).cost
		c.ll.Remove(el)
		delete(c.items, e.key)
	}
	c.items[e.key] = c.ll.PushFront(e)
	c.bytes += e.cost
	for c.bytes > c.maxBytes || c.ll.Len() > c.maxEntries {
		old := c.ll.Back()
		oe := old.Value.(*cachedRender)
		c.ll.Remove(old)
		delete(c.items, oe.key)
		c.bytes -= oe.cost
	}
}

// stats reports the entries and bytes held.
func (c *renderCache) stats() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len(), c.bytes
}

// captureWriter records a handler's response instead of sending it.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *captureWriter) Header() http.Header { return w.header }
func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// cacheKey names a render by what it depends on: path, query (keys sorted) and the
// language the reader gets.
func cacheKey(r *http.Request) string {
	lang, _ := pickLang(r)
	// The site's own address is part of it: og:image and oEmbed links are absolute.
	return publicBase(r) + r.URL.Path + "?" + r.URL.Query().Encode() + "#" + lang
}

// cached serves deterministic renders from the cache, with an ETag, and answers a
// matching If-None-Match with 304. It must run outside the compression middleware: it
// compresses on its own, once per render.
func (c *renderCache) cached(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		key := cacheKey(r)
		e := c.get(key)
		if e == nil {
			e = c.renderOnce(next, r, key)
		}
		c.serve(w, r, e)
	})
}

// renderOnce renders key, or waits for the render of it already under way: many readers
// opening one new link at once cost one render, not one each.
func (c *renderCache) renderOnce(next http.Handler, r *http.Request, key string) *cachedRender {
	c.mu.Lock()
	if el, ok := c.items[key]; ok { // stored since the caller looked
		c.ll.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*cachedRender)
	}
	if f, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.e
		case <-r.Context().Done():
			return &cachedRender{status: http.StatusServiceUnavailable}
		}
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.inflight, key)
		c.mu.Unlock()
		close(f.done)
	}()
	f.e = c.render(next, r, key)
	return f.e
}

// render runs the handler, uncompressed. A response that is not a 200 is sent as it is
// and not stored.
func (c *renderCache) render(next http.Handler, r *http.Request, key string) *cachedRender {
	cw := &captureWriter{header: http.Header{}}
	r2 := r.Clone(r.Context())
	r2.Header.Del("Accept-Encoding")
	r2.Header.Del("If-None-Match")
	next.ServeHTTP(cw, r2)
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	e := &cachedRender{key: key, status: cw.status, header: cw.header, body: cw.body.Bytes()}
	sum := sha256.Sum256(e.body)
	e.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	e.cost = len(e.body) + len(key) + 256
	ct := cw.header.Get("Content-Type")
	if len(e.body) >= 1024 && hasPrefixAny(ct, compressible) {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, 5)
		zw.Write(e.body)
		zw.Close()
		e.gz = b.Bytes()
		e.cost += len(e.gz)
	}
	if cw.status != http.StatusOK {
		e.etag = "" // an error is sent once, as rendered, and not kept
		return e
	}
	c.put(e)
	return e
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func etagMatch(header, etag string) bool {
	if header == "" || etag == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" || t == etag || t == strings.TrimSuffix(etag, `"`)+`-gzip"` {
			return true
		}
	}
	return false
}

// serve writes e as it was rendered, gzip-encoded when the client accepts it.
func (c *renderCache) serve(w http.ResponseWriter, r *http.Request, e *cachedRender) {
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	if e.etag != "" {
		h.Set("Cache-Control", "no-cache") // revalidate with the ETag every time
		h.Add("Vary", "Accept-Encoding, Accept-Language, Cookie")
	}
	gzipOK := e.gz != nil && acceptsGzip(r)
	etag := e.etag
	if gzipOK && etag != "" {
		etag = strings.TrimSuffix(etag, `"`) + `-gzip"`
	}
	if etag != "" {
		h.Set("ETag", etag)
		if etagMatch(r.Header.Get("If-None-Match"), e.etag) {
			h.Del("Content-Type")
			h.Del("Set-Cookie")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	body := e.body
	if gzipOK {
		body = e.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		f := strings.Fields(strings.ReplaceAll(part, ";", " "))
		if len(f) > 0 && (f[0] == "gzip" || f[0] == "*") {
			if len(f) > 1 && strings.ReplaceAll(f[1], " ", "") == "q=0" {
				return false
			}
			return true
		}
	}
	return false
}
