package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/validate"
	"github.com/forgehq/forge/internal/vault"
)

// Defaults of Deps.
const (
	DefaultMaxBodyBytes         = 1 << 20
	DefaultSigningSecretOverlap = 24 * time.Hour
	DefaultShutdownTimeout      = 30 * time.Second
)

// Deps are what the server needs. Store and MasterKey are required.
type Deps struct {
	// Store is the persistence layer; the server does not close it.
	Store store.Store
	// MasterKey wraps the workspaces' data keys.
	MasterKey *vault.MasterKey
	// Logger receives one structured record per request and the server's
	// errors; nil discards them. Nothing secret is ever logged.
	Logger *slog.Logger
	// Now is the clock (token expiry, audit times); nil is time.Now.
	Now func() time.Time
	// MaxBodyBytes caps request bodies of operations that do not set their
	// own cap (x-forge-max-body in the OpenAPI document); 0 is
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// SigningSecretOverlap is how long the previous signing secret stays
	// valid after a rotation; 0 is DefaultSigningSecretOverlap.
	SigningSecretOverlap time.Duration
	// Policy is what pushed extensions are validated against; its Events
	// are replaced by the workspace's event types. The zero Policy is
	// validate.DefaultPolicy().
	Policy *validate.Policy
	// TLSConfig, when set, makes Run serve HTTPS on the listener.
	TLSConfig *tls.Config
	// ShutdownTimeout bounds the graceful shutdown of Run; 0 is
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server is the forge server's HTTP API. It is an http.Handler.
type Server struct {
	st       store.Store
	mk       *vault.MasterKey
	log      *slog.Logger
	now      func() time.Time
	maxBody  int64
	overlap  time.Duration
	policy   validate.Policy
	tlsConf  *tls.Config
	shutdown time.Duration

	registries registryCache

	api     *apiDoc
	mux     *http.ServeMux
	handler http.Handler
}

// New returns the server over d. It panics if d lacks the store or the
// master key, or if the embedded OpenAPI document names an operation the
// server does not implement (both are programming errors, caught by tests).
func New(d Deps) *Server {
	if d.Store == nil || d.MasterKey == nil {
		panic("server: Deps.Store and Deps.MasterKey are required")
	}
	s := &Server{
		st:       d.Store,
		mk:       d.MasterKey,
		log:      d.Logger,
		now:      d.Now,
		maxBody:  d.MaxBodyBytes,
		overlap:  d.SigningSecretOverlap,
		tlsConf:  d.TLSConfig,
		shutdown: d.ShutdownTimeout,
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.overlap <= 0 {
		s.overlap = DefaultSigningSecretOverlap
	}
	if s.shutdown <= 0 {
		s.shutdown = DefaultShutdownTimeout
	}
	s.policy = validate.DefaultPolicy()
	if d.Policy != nil {
		s.policy = *d.Policy
	}
	api, err := loadAPI()
	if err != nil {
		panic(err)
	}
	s.api = api
	if err := s.routes(); err != nil {
		panic(err)
	}
	s.handler = s.logRequests(s.mux)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Run serves the API on ln until ctx is done, then shuts down gracefully:
// it stops accepting connections and waits (up to the shutdown timeout) for
// the requests in flight. It closes ln. A nil error means a clean shutdown.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	if s.tlsConf != nil {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("server listening", "addr", ln.Addr().String(), "tls", s.tlsConf != nil)
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("server shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdown)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	s.log.Info("server stopped")
	return nil
}

// clock returns the current time, truncated to what the store keeps.
func (s *Server) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// statusWriter records the status of a response for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one record per request: method, path, operation,
// status, duration and the credential id. Never headers, query values or
// bodies.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &requestInfo{}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []any{
			"method", r.Method, "path", r.URL.EscapedPath(), "status", status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
		}
		if info.op != "" {
			attrs = append(attrs, "operation", info.op)
		}
		if info.actor != "" {
			attrs = append(attrs, "actor", info.actor)
		}
		if info.err != "" {
			attrs = append(attrs, "error", info.err)
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request", attrs...)
	})
}

// requestInfo carries what the request log reports from the handler.
type requestInfo struct {
	op, actor, err string
}

type requestInfoKey struct{}

func infoOf(r *http.Request) *requestInfo {
	if i, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}
