package davfs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/peerhood/peerhood/internal/loopback"
)

// DefaultPort is the WebDAV server's default port on 127.0.0.1.
const DefaultPort = 4318

// Server is the WebDAV server on the loopback.
type Server struct {
	h   *Handler
	srv *http.Server
	l   net.Listener
	log *slog.Logger

	counter *requestCounter // GET /metrics (metrics.go)
}

// Listen binds addr, which must name a loopback address ("127.0.0.1:4318",
// "localhost:0", "[::1]:4318"), and starts serving b.
func Listen(addr string, b Backend, token string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	l, err := loopback.Listen(addr)
	if err != nil {
		return nil, fmt.Errorf("webdav: %w", err)
	}
	s := &Server{h: NewHandler(b, token, log), l: l, log: log}
	s.counter = newRequestCounter(s.h)
	s.srv = &http.Server{
		Handler:           s.counter,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("webdav server stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr returns the bound address.
func (s *Server) Addr() *net.TCPAddr { return s.l.Addr().(*net.TCPAddr) }

// URL returns the server's base URL, e.g. http://127.0.0.1:4318/.
func (s *Server) URL() string {
	a := s.Addr()
	return "http://" + net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port)) + "/"
}

// Close stops the server, giving running requests two seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}
