package davfs

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// requestCounter counts the WebDAV server's requests by method and
// status class (2xx, 3xx, 4xx, 5xx), refusals of the front door
// included.
type requestCounter struct {
	requests *prometheus.CounterVec
	next     http.Handler
}

func newRequestCounter(next http.Handler) *requestCounter {
	return &requestCounter{next: next, requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "peerhood_webdav_requests_total",
		Help: "Requests to the WebDAV server, by method and status class.",
	}, []string{"method", "code"})}
}

// knownMethods bound the method label (anything else counts as OTHER).
var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "PUT": true, "POST": true, "DELETE": true, "OPTIONS": true, "PROPFIND": true,
	"PROPPATCH": true, "MKCOL": true, "COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true,
}

func (c *requestCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &codeRecorder{ResponseWriter: w}
	c.next.ServeHTTP(rec, r)
	m := r.Method
	if !knownMethods[m] {
		m = "OTHER"
	}
	code := rec.code
	if code == 0 {
		code = http.StatusOK
	}
	c.requests.WithLabelValues(m, strconv.Itoa(code/100)+"xx").Inc()
}

// codeRecorder notes the status a handler wrote.
type codeRecorder struct {
	http.ResponseWriter
	code int
}

func (r *codeRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *codeRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush passes a flush on (listings stream).
func (r *codeRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (r *codeRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Collectors returns the WebDAV server's metrics (the daemon registers
// them).
func (s *Server) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.counter.requests}
}
