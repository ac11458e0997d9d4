// Package web is synack's HTTP layer: routes, pages, security headers and the WebSocket
// sessions that stream a simulation to the browser. It is thin: it decodes requests,
// calls the engine and the diagram builder, and encodes the answers. It never simulates.
package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"synack/engine/diagram"
	"synack/lessons"
	"synack/lessons/stories"
	"synack/templates"
	"synack/web/classroom"
	"synack/web/lti"
)

// Config holds the server's settings and limits.
type Config struct {
	Logger *slog.Logger
	// MaxSessions caps concurrent WebSocket sessions; more get 503 before the upgrade.
	MaxSessions int
	// MaxSessionsPerIP caps the sessions of one client address, so that one address
	// cannot take every session (DefaultMaxSessionsPerIP when zero).
	MaxSessionsPerIP int
	// TrustedProxies are the addresses of reverse proxies in front of this server. A
	// session from one of them is counted under the client address the proxies name in
	// X-Forwarded-For (the nearest one not itself a trusted proxy), so a lecture hall
	// behind one proxy is not one address. Empty: X-Forwarded-For is ignored, since any
	// client can write it.
	TrustedProxies []netip.Prefix
	// AllowedHosts are the names (Host header, without port) this server answers to
	// WebSocket upgrades under, besides loopback names and addresses; "*" allows any.
	AllowedHosts []string
	// Limits of one session; zero values take the defaults below.
	Limits Limits
	// Stories is the story catalogue the index lists and /lessons/{id} runs
	// (stories.Default() when nil); a test may pass a smaller or a fake one.
	Stories *stories.Catalogue
	// Lessons is the lesson catalogue (the embedded one, told with Stories, when nil).
	Lessons *lessons.Catalogue
	// CacheBytes and CacheEntries bound the cache of rendered pages, drawings and
	// captures (DefaultCacheBytes, DefaultCacheEntries when zero).
	CacheBytes, CacheEntries int
	// LTI is the LTI 1.3 tool (nil: the /lti/ routes say LTI is not configured).
	LTI *lti.Tool
	// Classroom is the classroom's NATS connection (web/classroom); nil starts an
	// embedded nats-server at the first classroom request.
	Classroom *classroom.Hub
}

// Server is synack's HTTP handler with its session registry.
type Server struct {
	cfg      Config
	log      *slog.Logger
	router   chi.Router
	cache    *renderCache
	mu       sync.Mutex
	sessions map[*session]struct{}
	perIP    map[string]int
	closing  bool
	runs     *runCache
	imports  *importCache
	// importRuns are the imported connections opened in the player (ImportRunEntries).
	importRuns *runCache
	// thumbs is each story's catalogue picture (diagram.Thumbnail of its default run),
	// drawn at the first index request.
	thumbs func() map[string]string
	// stepsBufs holds the buffers sessions build "steps" messages in (*[]byte).
	stepsBufs sync.Pool

	sessionEnded func(*session) // a test's look at a session that has just ended

	// classHub opens the classroom once; ownHub is the one it started itself.
	classHub func() (*classroom.Hub, error)
	ownHub   *classroom.Hub
}

// DefaultMaxSessions is the default cap on concurrent WebSocket sessions. A live session
// costs about 32 KB of memory and one goroutine, 1.3× a bare WebSocket connection
// (BENCHMARKS.md, synack loadgen): 10,000 hold about 320 MB on a 2-core machine, and
// need as many open files (serve raises its limit, and lowers the cap to fit it).
const DefaultMaxSessions = 10000

// DefaultMaxSessionsPerIP is the default cap on the sessions of one client address: a
// lecture hall behind one NAT address fits, one address cannot take the whole server.
const DefaultMaxSessionsPerIP = 256

// NewServer returns the handler for the whole site.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxSessionsPerIP == 0 {
		cfg.MaxSessionsPerIP = DefaultMaxSessionsPerIP
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.Stories == nil {
		cfg.Stories = stories.Default()
	}
	if cfg.Lessons == nil {
		c, err := lessons.Load(lessons.Files(), cfg.Stories)
		if err != nil {
			panic("the embedded lessons do not load: " + err.Error()) // go test ./lessons catches this first
		}
		cfg.Lessons = c
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	if cfg.CacheEntries == 0 {
		cfg.CacheEntries = DefaultCacheEntries
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sessions: map[*session]struct{}{}, perIP: map[string]int{},
		cache: newRenderCache(cfg.CacheBytes, cfg.CacheEntries), runs: newRunCache(DefaultRunCacheEntries),
		imports: newImportCache(), importRuns: newRunCache(ImportRunEntries)}
	s.stepsBufs.New = func() any { b := make([]byte, 0, stepsBufSize); return &b }
	s.thumbs = sync.OnceValue(s.drawThumbs)
	s.classHub = sync.OnceValues(s.openHub)
	s.router = s.routes()
	return s
}

// Close stops what the server started on its own (the embedded classroom broker).
func (s *Server) Close() {
	if s.ownHub != nil {
		s.ownHub.Close()
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// EmbedAncestors is who may frame /embed/ pages: any page at all, a course page on an
// https site, on a campus intranet over plain http, or opened from disk (file://). The
// embed shows public teaching material and takes no action for the viewer, so there is
// nothing to clickjack; the rest of the site keeps frame-ancestors 'none'. "*" alone
// covers only network schemes, so file: (and data:, blob:) are named.
const EmbedAncestors = "* file: data: blob:"

// scriptSources is the policy's script-src: the site's own files and, by their SHA-256
// (CSP Level 3 §8.4), the fixed inline scripts of templates.InlineScripts. With no
// per-response nonce, a page is the same bytes for every reader and on every replica,
// so its cached body is served as it is and its ETag holds across replicas.
var scriptSources = func() string {
	src := "'self'"
	for _, s := range templates.InlineScripts {
		sum := sha256.Sum256([]byte(s))
		src += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return src
}()

// secure sets the security headers of every response.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		frame := "'none'"
		embed := len(r.URL.Path) >= 7 && r.URL.Path[:7] == "/embed/"
		if embed {
			frame = EmbedAncestors
		} else {
			h.Set("X-Frame-Options", "DENY")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src "+scriptSources+"; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "+frame)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		next.ServeHTTP(w, r)
	})
}

// routes lists every route of the site in one place.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(secure)
	r.Use(middleware.GetHead) // HEAD is answered by every GET route, without the body
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD") // every route of the site is read-only
		httpError(w, r, http.StatusMethodNotAllowed, "error.method")
	})
	// The WebSocket stays outside the timeout and compression middleware.
	r.Get("/ws", s.handleWS)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(20 * time.Second))
		// A phone's player page is laid out narrow from the first request where the
		// browser says its width (fitViewport), before the cache.
		r.Use(fitViewport)
		// Pages, drawings and captures depend only on their address: rendered once, kept
		// in a bounded cache, revalidated with an ETag. The cache compresses on its own.
		r.Use(s.cache.cached)
		r.Get("/", s.handleIndex)
		r.Get("/lessons/{id}", s.handlePlayer(false))
		r.Get("/embed/lessons/{id}", s.handlePlayer(true))
		r.Get("/lessons/{id}/diagram.svg", s.handleSVG)
		r.Get("/lessons/{id}/capture.pcap", s.handleCapture(pcapFormat))
		r.Get("/lab", s.handleLab)
		r.Get("/compare", s.handleCompare(false))
		r.Get("/embed/compare", s.handleCompare(true))
		r.Get("/compare.json", s.handleCompareJSON)
		r.Get("/states.json", s.handleStatesJSON)
		r.Get("/states.svg", s.handleStatesSVG)
		r.Get("/lessons/{id}/capture.pcapng", s.handleCapture(pcapngFormat))
		// Course pages (issue 25): exports, oEmbed, the lab for an iframe.
		r.Get("/lessons/{id}/diagram.png", s.handlePNG)
		r.Get("/lessons/{id}/diagram.mmd", s.handleMermaid)
		r.Get("/oembed", s.handleOEmbed)
		r.Get("/embed/lab", s.handleLabEmbed)
		// The data phase's figures (issue 22).
		r.Get("/lessons/{id}/tsg.svg", s.handlePlotSVG("tsg"))
		r.Get("/lessons/{id}/cwnd.svg", s.handlePlotSVG("cwnd"))
		// Reno and CUBIC side by side on the lab's network (issue 22, labcc.go).
		r.Get("/lab/cc", s.handleLabCC)
		r.Get("/lab/cc/{kind:tsg|cwnd}.svg", s.handleLabCCPlot)
	})
	// Bring your own trace: uploads and pasted scripts are the reader's own, so nothing
	// here goes through the shared render cache.
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(20 * time.Second))
		r.Get("/import", s.handleImportPage)
		r.Post("/import", s.handleImportUpload)
		r.Get("/import/{upload}/{conn}", s.handleImportConn)
		r.Get("/import/{upload}/{conn}/capture.pcapng", s.handleImportPcapng)
		r.Get("/import/{upload}/{conn}/diagram.svg", s.handleImportSVG)
		r.Get("/script", s.handleScriptPage)
		r.Post("/script", s.handleScriptRun)
	})
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(20 * time.Second))
		r.Use(middleware.Compress(5, "text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json"))
		r.Get("/diagram.css", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=300")
			w.Write([]byte(diagram.Style + diagram.PlotStyle))
		})
		r.Get("/static/*", staticHandler().ServeHTTP)
	})
	// The classroom: rooms live in NATS, so nothing here is cached; the room's socket
	// stays outside the timeout.
	r.Get("/class/{code}/ws", s.handleClassWS)
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(20 * time.Second))
		r.Get("/class", s.handleClassJoin)
		r.Get("/class/new", s.handleClassNew)
		r.Get("/class/{code}", s.handleClassStudent)
		r.Get("/class/{code}/teach", s.handleClassTeacher)
		r.Get("/class/{code}/answers.csv", s.handleClassCSV)
	})
	// Course pages (issue 25): LTI 1.3 launches, deep linking and grades. Not cached:
	// every request is a signed, one-time exchange.
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(20 * time.Second))
		r.Get("/.well-known/jwks.json", s.handleJWKS)
		r.Get("/lti/login", s.handleLTILogin)
		r.Post("/lti/login", s.handleLTILogin)
		r.Post("/lti/launch", s.handleLTILaunch)
		r.Post("/lti/deeplink", s.handleLTIDeepLink)
		r.Post("/lti/score", s.handleLTIScore)
		for _, p := range []string{"/lti/launch", "/lti/deeplink", "/lti/score"} {
			r.Get(p, postOnly)
		}
	})
	r.NotFound(s.handleNotFound)
	return r
}

// ShutdownTimeout bounds a graceful shutdown, however many clients are connected.
const ShutdownTimeout = 4500 * time.Millisecond

// ListenAndServe serves on addr until ctx ends, then shuts down gracefully: WebSocket
// sessions get a close frame, requests in flight get up to grace to finish.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// One deadline for the whole shutdown: sessions first (at most CloseGrace), then the
	// requests in flight get what is left.
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	s.CloseSessions()
	defer s.Close()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		if errors.Is(err, context.DeadlineExceeded) {
			srv.Close() // what is still running is cut: the process must end
			return nil
		}
		return err
	}
	return nil
}
