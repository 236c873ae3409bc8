package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ErrNotLoopback is returned for an address outside the loopback.
var ErrNotLoopback = errors.New("only loopback addresses are allowed (127.0.0.1, [::1], localhost)")

// Listen binds addr, which must name a loopback address
// ("127.0.0.1:4318", "localhost:0", "[::1]:4318").
func Listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("listen address %q: %w", addr, ErrNotLoopback)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return l, nil
}

// localPort returns the port the request came in on ("" when unknown:
// a handler called without a server).
func localPort(r *http.Request) string {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return ""
	}
	if ta, ok := a.(*net.TCPAddr); ok {
		return strconv.Itoa(ta.Port)
	}
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	return p
}

// loopbackName reports whether host (no port) is one of the three names
// of the loopback the server answers to.
func loopbackName(host string) bool {
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "[::1]":
		return true
	}
	return false
}

// splitHost splits "host:port" keeping IPv6 brackets in host; a
// missing port is 80 (browsers leave it out).
func splitHost(hostport string) (host, port string, ok bool) {
	switch {
	case strings.HasPrefix(hostport, "["):
		end := strings.Index(hostport, "]")
		if end < 0 {
			return "", "", false
		}
		host, port = hostport[:end+1], strings.TrimPrefix(hostport[end+1:], ":")
		if port == "" && len(hostport) > end+1 {
			return "", "", false
		}
	case strings.Contains(hostport, ":"):
		i := strings.LastIndexByte(hostport, ':')
		host, port = hostport[:i], hostport[i+1:]
		if strings.Contains(host, ":") {
			return "", "", false
		}
	default:
		host = hostport
	}
	if port == "" {
		port = "80"
	}
	if len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return "", "", false
	}
	return host, port, true
}

// ownAuthority reports whether hostport (a Host header or a URL's host)
// names this server: a loopback name and the request's own port.
func ownAuthority(r *http.Request, hostport string) bool {
	host, port, ok := splitHost(hostport)
	if !ok || !loopbackName(host) {
		return false
	}
	lp := localPort(r)
	return lp == "" || port == lp
}

// CheckHost refuses a Host header that is not 127.0.0.1:PORT,
// localhost:PORT or [::1]:PORT for the port the request came in on.
func CheckHost(r *http.Request) error {
	if !ownAuthority(r, r.Host) {
		return fmt.Errorf("the Host header %q is not this server: use 127.0.0.1:PORT, localhost:PORT or [::1]:PORT", r.Host)
	}
	return nil
}

// SameServer reports whether a URL's host (as in a WebDAV Destination or
// If tag) names the server r came to, under any of its loopback names.
func SameServer(r *http.Request, hostport string) bool {
	return ownAuthority(r, hostport)
}

// safeMethods change nothing; a foreign Origin is still refused on them
// (CheckOrigin), but the rule is kept explicit for readers.
var safeMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true, "PROPFIND": true,
}

// IsStateChanging reports whether a method may change something.
func IsStateChanging(method string) bool { return !safeMethods[method] }

// CheckOrigin accepts a request without Origin (not sent by a browser's
// page, or a same-origin navigation) or with exactly one of the
// server's own origins. "null" (a sandboxed page, a file: page), another
// loopback port and any other host are refused, for reads as for writes.
func CheckOrigin(r *http.Request) error {
	o, ok := r.Header["Origin"]
	if !ok {
		return nil
	}
	if len(o) != 1 {
		return errors.New("more than one Origin header")
	}
	u, err := url.Parse(o[0])
	if err != nil || u.Scheme != "http" || u.Path != "" || u.RawQuery != "" || u.User != nil || !ownAuthority(r, u.Host) {
		return fmt.Errorf("request from origin %q refused: only this server's own pages may send it", o[0])
	}
	return nil
}
