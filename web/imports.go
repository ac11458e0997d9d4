package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"synack/engine/capture"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/passive"
	"synack/templates"
)

// The limits of /import. An upload over any of them is refused with a message saying
// which; what is accepted is kept only in the server's memory, in a bounded cache, under
// an unguessable address that only the uploader is given.
const (
	// MaxUploadBytes is the largest capture file /import accepts.
	MaxUploadBytes = 16 << 20
	// MaxUploadPackets is the most TCP segments an upload may hold.
	MaxUploadPackets = 200_000
	// MaxUploadConnections is the most connections an upload may hold.
	MaxUploadConnections = 5_000
	// UploadTimeout bounds the time spent reading one upload.
	UploadTimeout = 10 * time.Second
	// ImportCacheEntries and ImportCacheBytes bound the uploads kept: the oldest used
	// goes first.
	ImportCacheEntries = 64
	ImportCacheBytes   = 128 << 20
)

// importEntry is one kept upload: the file itself (each view reads it again) and what
// its list said.
type importEntry struct {
	data  []byte
	conns int
	used  uint64
}

// importCache is the bounded cache of uploads.
type importCache struct {
	mu    sync.Mutex
	m     map[string]*importEntry
	bytes int
	tick  uint64
}

func newImportCache() *importCache { return &importCache{m: map[string]*importEntry{}} }

// put keeps data under a new random id, dropping the least recently used uploads to
// stay within the limits.
func (c *importCache) put(data []byte, conns int) string {
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.m) >= ImportCacheEntries || len(c.m) > 0 && c.bytes+len(data) > ImportCacheBytes {
		var old string
		var oldest uint64 = ^uint64(0)
		for k, e := range c.m {
			if e.used < oldest {
				old, oldest = k, e.used
			}
		}
		c.bytes -= len(c.m[old].data)
		delete(c.m, old)
	}
	c.tick++
	c.m[id] = &importEntry{data: data, conns: conns, used: c.tick}
	c.bytes += len(data)
	return id
}

func (c *importCache) get(id string) (*importEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if ok {
		c.tick++
		e.used = c.tick
	}
	return e, ok
}

// deadlineReader stops a read that runs past its context's deadline.
type deadlineReader struct {
	ctx context.Context
	r   io.Reader
}

func (d deadlineReader) Read(p []byte) (int, error) {
	if err := d.ctx.Err(); err != nil {
		return 0, fmt.Errorf("reading took longer than %s: %w", UploadTimeout, err)
	}
	return d.r.Read(p)
}

// readUpload reads an upload with the limits and the time bound.
func readUpload(ctx context.Context, data []byte, keep int) (*passive.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, UploadTimeout)
	defer cancel()
	return passive.Read(deadlineReader{ctx, bytes.NewReader(data)},
		passive.Options{Keep: keep, MaxPackets: MaxUploadPackets, MaxConnections: MaxUploadConnections})
}

// ImportConn is one connection in the /import list (JSON).
type ImportConn struct {
	Conn      int             `json:"conn"`
	A         string          `json:"a"`
	B         string          `json:"b"`
	Client    string          `json:"client,omitempty"`
	Packets   int             `json:"packets"`
	Bytes     int64           `json:"bytes"`
	Duration  float64         `json:"duration_ms"`
	StatesA   []string        `json:"states_a"`
	StatesB   []string        `json:"states_b"`
	Anomalies []ImportAnomaly `json:"anomalies"`
	URL       string          `json:"url"`
}

// ImportAnomaly is an anomaly with its count, name in the reader's language and the
// lesson that explains it.
type ImportAnomaly struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Count  int    `json:"count"`
	Lesson string `json:"lesson,omitempty"`
}

// ImportList is the answer to an upload.
type ImportList struct {
	ID      string       `json:"id"`
	Format  string       `json:"format"`
	Packets int          `json:"packets"`
	Skipped int          `json:"skipped"`
	Conns   []ImportConn `json:"conns"`
}

// anomalyLessons says which lesson explains each anomaly ("" where none does yet).
var anomalyLessons = map[passive.Anomaly]string{
	passive.Retransmission:         "out-of-order",
	passive.FastRetransmission:     "out-of-order",
	passive.SpuriousRetransmission: "time-wait",
	passive.DuplicateACK:           "out-of-order",
	passive.OutOfOrder:             "out-of-order",
	passive.LostSegment:            "out-of-order",
	passive.ZeroWindow:             "sequence-space",
	passive.WindowFull:             "sequence-space",
	passive.KeepAlive:              "keepalive-half-open",
	passive.ReusedPorts:            "time-wait-syn",
	passive.Reset:                  "resets",
}

func anomalyName(a passive.Anomaly, lang string) string {
	return diagram.NoteText("capture-" + a.Key()).In(lang)
}

func (s *Server) handleImportPage(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "", false)
	p.Title = catalog.In(p.Lang, "import.title")
	render(w, r, http.StatusOK, templates.ImportPage(templates.Import{Page: p,
		Limits:  catalog.F("import.limits", MaxUploadBytes>>20, MaxUploadPackets, MaxUploadConnections, int(UploadTimeout/time.Second)).In(p.Lang),
		Strings: importPageStrings(p.Lang)}))
}

// importPageStrings are the words /import hands import.js.
func importPageStrings(lang string) map[string]string { return catalog.Subset(lang, "import.") }

// uploadError answers a refused upload in the reader's language, as JSON.
func uploadError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) handleImportUpload(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxUploadBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		uploadError(w, http.StatusRequestEntityTooLarge, catalog.F("import.toobig", MaxUploadBytes>>20).In(lang))
		return
	}
	if err != nil {
		uploadError(w, http.StatusBadRequest, catalog.In(lang, "import.bad")+" "+err.Error())
		return
	}
	res, err := readUpload(r.Context(), data, -1)
	if err != nil {
		var ce *capture.Error
		switch {
		case errors.As(err, &ce):
			uploadError(w, http.StatusUnprocessableEntity, catalog.In(lang, "import.bad")+" "+err.Error())
		case errors.Is(err, passive.ErrTooManyPackets), errors.Is(err, passive.ErrTooManyConnections), errors.Is(err, context.DeadlineExceeded):
			uploadError(w, http.StatusRequestEntityTooLarge, catalog.In(lang, "import.limit")+" "+err.Error())
		default:
			uploadError(w, http.StatusBadRequest, catalog.In(lang, "import.bad")+" "+err.Error())
		}
		return
	}
	id := s.imports.put(data, len(res.Conns))
	list := ImportList{ID: id, Format: res.Format.String(), Packets: res.Packets, Skipped: res.Skipped, Conns: []ImportConn{}}
	for _, c := range res.Conns {
		ic := ImportConn{Conn: c.Index, A: c.A.Addr.String(), B: c.B.Addr.String(), Client: c.Client, Packets: c.Packets,
			Bytes: c.Bytes, Duration: float64(c.Duration()) / 1e6, StatesA: c.A.States(), StatesB: c.B.States(),
			Anomalies: []ImportAnomaly{}, URL: "/import/" + id + "/" + strconv.Itoa(c.Index) + "?lang=" + lang}
		for a := passive.Anomaly(0); a < passive.NumAnomalies; a++ {
			if n := c.Anomalies[a]; n > 0 {
				ia := ImportAnomaly{Key: a.Key(), Name: anomalyName(a, lang), Count: n}
				if l := anomalyLessons[a]; l != "" {
					ia.Lesson = "/lessons/" + l + "?lang=" + lang
				}
				ic.Anomalies = append(ic.Anomalies, ia)
			}
		}
		list.Conns = append(list.Conns, ic)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(list)
}

// importedConn reads connection {conn} of upload {upload} again, keeping its frames; it
// answers 404 itself when the upload has left the cache.
func (s *Server) importedConn(w http.ResponseWriter, r *http.Request) (*passive.Conn, *passive.Result, bool) {
	e, ok := s.imports.get(chi.URLParam(r, "upload"))
	n, err := strconv.Atoi(chi.URLParam(r, "conn"))
	if !ok || err != nil || n < 0 || n >= e.conns {
		httpError(w, r, http.StatusNotFound, "import.gone.text")
		return nil, nil, false
	}
	res, err := readUpload(r.Context(), e.data, n)
	if err != nil || n >= len(res.Conns) {
		httpError(w, r, http.StatusInternalServerError, "import.unreadable")
		return nil, nil, false
	}
	return res.Conns[n], res, true
}

// handleImportPcapng exports one imported connection as pcapng: its own bytes and times,
// with the capture's key log.
func (s *Server) handleImportPcapng(w http.ResponseWriter, r *http.Request) {
	c, res, ok := s.importedConn(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/x-pcapng")
	w.Header().Set("Content-Disposition", `attachment; filename="connection-`+strconv.Itoa(c.Index)+`.pcapng"`)
	w.Header().Set("Cache-Control", "no-store")
	passive.WritePCAPNG(w, c, res.KeyLog)
}
