package webui

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/peerhood/peerhood/internal/loopback"
)

// DefaultPort is the web UI's port on 127.0.0.1 unless told otherwise.
const DefaultPort = 42080

// Config is what a web UI server needs.
type Config struct {
	// Addr is the loopback address to listen on ("127.0.0.1:42080").
	Addr string
	// API is the node's control-API handler: every action of the pages
	// is one of its endpoints, served under /api/ in this process.
	API http.Handler
	Log *slog.Logger
	// Now is the guard's clock (nil: time.Now); tests inject one.
	Now func() time.Time
}

// Server is the web UI on the loopback.
type Server struct {
	guard *loopback.Guard
	api   http.Handler
	log   *slog.Logger
	l     net.Listener
	srv   *http.Server
}

// New returns the server's handler state without listening (tests and
// benchmarks call Handler on it).
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// The guard's Basic password is random and never shown: the only way
	// in is a one-time login link asked for over the control socket.
	var b [32]byte
	_, _ = rand.Read(b[:])
	g := loopback.NewGuard(loopback.Config{User: "peerhood", Token: base64.RawURLEncoding.EncodeToString(b[:]), Realm: "peerhood web UI", Now: cfg.Now})
	return &Server{guard: g, api: cfg.API, log: cfg.Log}
}

// Listen starts a server on cfg.Addr (a loopback address only).
func Listen(cfg Config) (*Server, error) {
	s := New(cfg)
	l, err := loopback.Listen(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	s.l = l
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("web UI server stopped", "err", err)
		}
	}()
	return s, nil
}

// URL returns the UI's base URL, e.g. http://127.0.0.1:42080/.
func (s *Server) URL() string {
	a := s.l.Addr().(*net.TCPAddr)
	return "http://" + net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port)) + "/"
}

// LoginURL returns a new one-time login link (valid for
// loopback.LoginTokenTTL, once).
func (s *Server) LoginURL() string {
	return s.URL() + loopback.LoginPath[1:] + "?token=" + s.guard.NewLoginToken()
}

// Close stops the server, giving running requests one second (the event
// streams have ended already: the control API closes the bus first).
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}
