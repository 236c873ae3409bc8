package tunnel

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// Headers an http service's target receives on every request, naming
// the member calling; any header starting with HeaderPrefix that the
// client sent is removed first.
const (
	HeaderPrefix    = "Peerhood-"
	HeaderMember    = "Peerhood-Member"    // the member's name
	HeaderWorkgroup = "Peerhood-Workgroup" // the workgroup's ID
)

// proxyHTTP serves one tunnel of an http or printer service (IPP is
// HTTP; a printer's requests get the target as Host): the stream is read as
// an HTTP/1.1 client connection and each request goes to the target
// through a reverse proxy that sets HeaderMember and HeaderWorkgroup
// (upgrades such as WebSocket included). first is the connection the
// checks opened; the proxy uses it first. It returns when the client's
// connection ends, with the bytes read from and written to the stream.
func (s *Service) proxyHTTP(cfg Config, m workgroup.Member, st streamEnd, first net.Conn) (in, out int64, err error) {
	errLog := slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	conn := &streamConn{streamEnd: st, done: make(chan struct{})}
	firstc := make(chan net.Conn, 1)
	firstc <- first
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			select {
			case c := <-firstc:
				return c, nil
			default:
			}
			var d net.Dialer
			return d.DialContext(ctx, "tcp", cfg.Target)
		},
		MaxIdleConns:    1,
		IdleConnTimeout: 30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	target := &url.URL{Scheme: "http", Host: cfg.Target}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			if cfg.Kind == KindPrinter {
				// IPP servers check Host: CUPS answers 400 to any name
				// but its own, localhost and IP literals, and a member's
				// client says 127.0.0.1:PORT or the DNS-SD name
				// peerhood-loopback.local. The target is what the owner
				// declared, so its host:port is a name the printer knows.
				pr.Out.Host = cfg.Target
			}
			setMemberHeaders(pr.Out.Header, m)
		},
		Transport: tr,
		ErrorLog:  errLog,
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: s.opts.IdleTimeout, ErrorLog: errLog}
	go func() { _ = srv.Serve(&oneConnListener{c: conn}) }()
	<-conn.done
	_ = srv.Close()
	select {
	case c := <-firstc: // never used
		_ = c.Close()
	default:
	}
	return conn.in.Load(), conn.out.Load(), nil
}

// setMemberHeaders removes from h every header a client sent that is
// or may be read as one of HeaderPrefix (in any case, with '_' for '-':
// CGI, WSGI and PHP name both Peerhood-Member and Peerhood_Member
// HTTP_PEERHOOD_MEMBER, so a member could pass as another), then names
// the member calling.
func setMemberHeaders(h http.Header, m workgroup.Member) {
	for k := range h {
		if ownHeader(k) {
			delete(h, k)
		}
	}
	h.Set(HeaderMember, m.Name)
	h.Set(HeaderWorkgroup, m.Workgroup)
}

// ownHeader reports whether header name k starts with HeaderPrefix,
// ignoring case and reading '_' as '-'.
func ownHeader(k string) bool {
	return len(k) >= len(HeaderPrefix) && strings.EqualFold(strings.ReplaceAll(k[:len(HeaderPrefix)], "_", "-"), HeaderPrefix)
}

// streamConn is a tunnel stream as the net.Conn an http.Server serves;
// done closes when it is closed (by the server, or the proxy after an
// upgrade).
type streamConn struct {
	streamEnd
	done    chan struct{}
	once    sync.Once
	in, out atomic.Int64
}

func (c *streamConn) Read(p []byte) (int, error) {
	n, err := c.streamEnd.Read(p)
	c.in.Add(int64(n))
	return n, err
}

func (c *streamConn) Write(p []byte) (int, error) {
	n, err := c.streamEnd.Write(p)
	c.out.Add(int64(n))
	return n, err
}

func (c *streamConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.streamEnd.Close()
}

func (c *streamConn) LocalAddr() net.Addr                { return tunnelAddr{} }
func (c *streamConn) RemoteAddr() net.Addr               { return tunnelAddr{} }
func (c *streamConn) SetDeadline(t time.Time) error      { return c.st.SetDeadline(t) }
func (c *streamConn) SetWriteDeadline(t time.Time) error { return c.st.SetWriteDeadline(t) }

// tunnelAddr is the address of a stream as a net.Conn.
type tunnelAddr struct{}

func (tunnelAddr) Network() string { return "peerhood-tunnel" }
func (tunnelAddr) String() string  { return "peerhood-tunnel" }

// oneConnListener hands its one connection to Accept, then blocks until
// the connection is closed.
type oneConnListener struct {
	c    *streamConn
	used atomic.Bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if l.used.CompareAndSwap(false, true) {
		return l.c, nil
	}
	<-l.c.done
	return nil, errors.New("tunnel connection closed")
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return tunnelAddr{} }
