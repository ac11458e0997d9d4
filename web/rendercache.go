package web

import (
	"bytes"
	"compress/flate"
	"container/list"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
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
// bytes. A page's CSP nonce differs on every response, so a page is stored with a
// placeholder nonce and split around it; each response puts its own nonce in.
type renderCache struct {
	maxBytes, maxEntries int
	placeholder          string

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
	etag   string
	size   int      // uncompressed body length, nonces included once filled in
	parts  [][]byte // the body split around the placeholder nonce
	gz     [][]byte // raw deflate of each part, each ending byte-aligned (sync flush); nil: not compressed
	crcs   []uint32 // CRC-32 of each part, combined with the nonce's for the gzip trailer
	cost   int
}

func newRenderCache(maxBytes, maxEntries int) *renderCache {
	// Letters and digits only, so that no escaping can change it, and as long as a nonce
	// (16 bytes in unpadded base64), so that filling it in keeps every length.
	var b [11]byte
	rand.Read(b[:])
	return &renderCache{maxBytes: maxBytes, maxEntries: maxEntries,
		placeholder: hex.EncodeToString(b[:]),
		ll:          list.New(), items: map[string]*list.Element{}, inflight: map[string]*flight{}}
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
			return &cachedRender{status: http.StatusServiceUnavailable, parts: [][]byte{nil}}
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

// render runs the handler with the placeholder nonce and no compression. A response that
// is not a 200 is sent as it is and not stored.
func (c *renderCache) render(next http.Handler, r *http.Request, key string) *cachedRender {
	cw := &captureWriter{header: http.Header{}}
	r2 := r.Clone(templ.WithNonce(r.Context(), c.placeholder))
	r2.Header.Del("Accept-Encoding")
	r2.Header.Del("If-None-Match")
	next.ServeHTTP(cw, r2)
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	e := &cachedRender{key: key, status: cw.status, header: cw.header}
	body := cw.body.Bytes()
	e.parts = bytes.Split(body, []byte(c.placeholder))
	e.size = len(body) // a nonce has the placeholder's length
	sum := sha256.Sum256(body)
	e.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	e.cost = len(body) + len(key) + 256
	ct := cw.header.Get("Content-Type")
	if len(body) >= 1024 && hasPrefixAny(ct, compressible) {
		e.gz = make([][]byte, len(e.parts))
		e.crcs = make([]uint32, len(e.parts))
		for i, p := range e.parts {
			e.crcs[i] = crc32.ChecksumIEEE(p)
			var b bytes.Buffer
			fw, _ := flate.NewWriter(&b, 5)
			fw.Write(p)
			fw.Flush()
			e.gz[i] = b.Bytes()
			e.cost += b.Len()
		}
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

// serve writes e with this response's nonce, gzip-encoded when the client accepts it.
func (c *renderCache) serve(w http.ResponseWriter, r *http.Request, e *cachedRender) {
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	nonce, _ := r.Context().Value(nonceKey).(string) // templ's own nonce was set to the placeholder for rendering
	if len(nonce) != len(c.placeholder) {
		nonce = c.placeholder // no nonce in this request: the placeholder is as good as any
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
			// The stored page keeps the policy (and nonce) it came with: a 304 that
			// carried a new one would replace it and block the stored page's scripts.
			h.Del("Content-Security-Policy")
			h.Del("Content-Type")
			h.Del("Set-Cookie")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if !gzipOK {
		h.Set("Content-Length", strconv.Itoa(e.size))
		w.WriteHeader(e.status)
		if r.Method == http.MethodHead {
			return
		}
		for i, p := range e.parts {
			if i > 0 {
				w.Write([]byte(nonce))
			}
			w.Write(p)
		}
		return
	}
	// A gzip member whose deflate stream is the stored parts' blocks with the nonce
	// between them as stored blocks, then an empty final block (RFC 1951 §3.2.4).
	crc, n := e.crcs[0], len(e.parts[0])
	nonceCRC := crc32.ChecksumIEEE([]byte(nonce))
	for i := 1; i < len(e.parts); i++ {
		crc = crc32Combine(crc32Combine(crc, nonceCRC, len(nonce)), e.crcs[i], len(e.parts[i]))
		n += len(nonce) + len(e.parts[i])
	}
	size := 10 + 5 + 8
	for i, g := range e.gz {
		if i > 0 {
			size += 5 + len(nonce)
		}
		size += len(g)
	}
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(e.status)
	if r.Method == http.MethodHead {
		return
	}
	w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	for i, g := range e.gz {
		if i > 0 {
			w.Write(storedBlock(nonce))
		}
		w.Write(g)
	}
	w.Write([]byte{1, 0, 0, 0xff, 0xff})
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], crc)
	binary.LittleEndian.PutUint32(tail[4:], uint32(n))
	w.Write(tail[:])
}

// storedBlock is a non-final stored deflate block holding s (shorter than 64 KiB).
func storedBlock(s string) []byte {
	b := []byte{0, byte(len(s)), byte(len(s) >> 8), ^byte(len(s)), ^byte(len(s) >> 8)}
	return append(b, s...)
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

// crc32Combine returns the CRC-32 (IEEE) of a||b from crcA = CRC(a), crcB = CRC(b) and
// lenB = len(b), without reading either: CRC(a||b) = CRC(a)·x^(8·lenB) ⊕ CRC(b) over
// GF(2), with the shift done by repeated squaring of the one-zero-bit operator (the
// method of zlib's crc32_combine).
func crc32Combine(crcA, crcB uint32, lenB int) uint32 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	for i, row := 1, uint32(1); i < 32; i, row = i+1, row<<1 {
		odd[i] = row
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	n := uint(lenB)
	for {
		gf2Square(&even, &odd) // first pass: one zero byte
		if n&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		if n >>= 1; n == 0 {
			break
		}
		gf2Square(&odd, &even)
		if n&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		if n >>= 1; n == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func gf2Times(m *[32]uint32, v uint32) uint32 {
	var sum uint32
	for i := 0; v != 0; i, v = i+1, v>>1 {
		if v&1 != 0 {
			sum ^= m[i]
		}
	}
	return sum
}

func gf2Square(sq, m *[32]uint32) {
	for i := range m {
		sq[i] = gf2Times(m, m[i])
	}
}
