package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// SocketFile is the control socket's file name in the state folder.
const SocketFile = "control.sock"

// maxSocketPath is the longest unix socket path every OS accepts.
const maxSocketPath = 104

// Server is the control API server. It knows no service: each module
// declares its routes on it with Handle and HandleRaw.
type Server struct {
	mux  *http.ServeMux
	srv  *http.Server
	log  *slog.Logger
	sock string

	mu         sync.Mutex // guards routes, srv, closed and onShutdown: Serve runs in its own goroutine
	routes     []route
	closed     bool
	onShutdown []func()

	full atomic.Pointer[func(error) bool] // SetFull's test (nil: none)
}

// SetFull makes every Handle endpoint answer an error that full
// recognises (the node's store.IsFull: SQLite's "database or disk is
// full", which is no errno) as NoSpace, 507 no_space, with the same
// words as everywhere else. The framework knows no store: the node hands
// it the test. An endpoint's own *Error is kept as it is.
func (s *Server) SetFull(full func(error) bool) { s.full.Store(&full) }

// asError is AsError with SetFull's test.
func (s *Server) asError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if f := s.full.Load(); f != nil && *f != nil && (*f)(err) {
		return NoSpace(err)
	}
	return AsError(err)
}

// OnShutdown makes Shutdown call f first, before it waits for running
// requests: a module with long-lived streams (events) ends them there,
// so they do not hold the node's stop for the whole drain time.
func (s *Server) OnShutdown(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onShutdown = append(s.onShutdown, f)
}

// NewServer returns a server with its own routes only: the OpenAPI
// document, the metrics of metrics (nil: none) and Go's profiles. The
// modules add theirs with Handle and HandleRaw.
func NewServer(metrics prometheus.Gatherer, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{mux: http.NewServeMux(), log: log}
	HandleRaw(s, "GET /openapi.json", "This API's OpenAPI 3 document", s.serveOpenAPI)
	if metrics != nil {
		HandleRaw(s, "GET /metrics", "Prometheus metrics, libp2p's included", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}).ServeHTTP)
	}
	s.profilingRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		paths := s.pathMux()
		if _, pattern := paths.Handler(r); pattern != "" {
			allow := s.methodsOf(pattern)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			WriteError(w, Errorf(http.StatusMethodNotAllowed, "method_not_allowed",
				"%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", ")))
			return
		}
		WriteError(w, NotFound("no endpoint %s %s (see /openapi.json)", r.Method, r.URL.Path))
	})
	return s
}

// pathMux matches a request's path against every declared route's path,
// whatever the method, so a known path with the wrong method answers 405
// with an Allow header instead of 404.
func (s *Server) pathMux() *http.ServeMux {
	m := http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range s.declared() {
		if !seen[rt.Path] {
			seen[rt.Path] = true
			m.HandleFunc(rt.Path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	return m
}

// methodsOf lists the methods declared for the route path pattern.
func (s *Server) methodsOf(pattern string) []string {
	var out []string
	for _, rt := range s.declared() {
		if rt.Path == pattern && !slices.Contains(out, rt.Method) {
			out = append(out, rt.Method)
		}
	}
	slices.Sort(out)
	return out
}

// declared returns the routes declared so far.
func (s *Server) declared() []route {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.routes)
}

// add keeps rt for the OpenAPI document and the 405 answers.
func (s *Server) add(rt route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes = append(s.routes, rt)
}

// Handler returns the HTTP handler (for tests).
func (s *Server) Handler() http.Handler { return s.mux }

// Listen binds the unix socket at home/control.sock with mode 0600. A
// stale socket left by a killed node is removed; the caller holds the
// state folder's lock, so no live node owns it.
func (s *Server) Listen(home string) (net.Listener, error) {
	sock := filepath.Join(home, SocketFile)
	if len(sock) >= maxSocketPath {
		return nil, fmt.Errorf("control socket path %s is %d bytes; unix sockets allow %d: choose a shorter --home", sock, len(sock), maxSocketPath-1)
	}
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale control socket %s: %w", sock, err)
	}
	// The umask makes the socket 0600 from its creation; chmod confirms it.
	l, err := listenUnix(sock)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", sock, err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(sock, 0o600); err != nil {
			l.Close()
			return nil, fmt.Errorf("control socket %s: chmod: %w", sock, err)
		}
	}
	s.sock = sock
	return l, nil
}

// Serve serves the API on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.srv = srv
	s.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the server: it stops accepting, waits for running
// requests until ctx ends, then closes the connections still open (their
// handlers' contexts are cancelled). The socket file is removed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.closed = true
	hooks := s.onShutdown
	s.onShutdown = nil
	s.mu.Unlock()
	for _, f := range hooks {
		f()
	}
	var err error
	if srv != nil {
		if err = srv.Shutdown(ctx); err != nil {
			err = errors.Join(err, srv.Close())
		}
	}
	if s.sock != "" {
		_ = os.Remove(s.sock)
	}
	return err
}
