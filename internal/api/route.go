package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
)

// Empty is the request or response of an endpoint that carries none.
type Empty struct{}

// route is one endpoint, kept for the OpenAPI document.
type route struct {
	Method  string
	Path    string
	Summary string
	Req     reflect.Type // nil: no body
	Resp    reflect.Type
	Query   []string
}

// MaxRequestBody bounds a JSON request body (a handler of HandleRaw that
// reads one uses it too).
const MaxRequestBody = 4 << 20

// Handle declares a JSON endpoint. pattern is "METHOD /path" in
// net/http's syntax (path values like {name} allowed). Req is decoded from
// the JSON body for POST, PUT and PATCH; Resp is encoded as the reply.
func Handle[Req, Resp any](s *Server, pattern, summary string, fn func(ctx context.Context, r *http.Request, req Req) (Resp, error), query ...string) {
	method, path, _ := strings.Cut(pattern, " ")
	var req Req
	var resp Resp
	rt := route{Method: method, Path: path, Summary: summary, Resp: reflect.TypeOf(resp), Query: query}
	hasBody := method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
	if hasBody && reflect.TypeOf(req) != reflect.TypeOf(Empty{}) {
		rt.Req = reflect.TypeOf(req)
	}
	s.add(rt)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		var in Req
		if rt.Req != nil {
			if err := DecodeBody(r.Body, &in); err != nil {
				WriteError(w, BadRequest("request body: %v", err))
				return
			}
		}
		out, err := fn(r.Context(), r, in)
		if err != nil {
			WriteError(w, s.asError(err))
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// DecodeBody decodes a JSON request body (at most MaxRequestBody bytes)
// into v: one JSON value with no field v lacks and nothing but white
// space after it (FuzzRequestBody); an empty body leaves v as it is.
func DecodeBody(body io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(body, MaxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// HandleRaw declares an endpoint that writes its own response (streams,
// metrics), with its query parameters. It still appears in the OpenAPI
// document.
func HandleRaw(s *Server, pattern, summary string, fn http.HandlerFunc, query ...string) {
	method, path, _ := strings.Cut(pattern, " ")
	s.add(route{Method: method, Path: path, Summary: summary, Query: query})
	s.mux.HandleFunc(pattern, fn)
}

// A reply is encoded by a pooled encoder into its buffer and written in
// one Write, as a fresh json.Encoder with SetIndent wrote it (its own
// indentation buffer made anew per reply: two allocations and a copy per
// request at 500 chat messages a second); the bytes are the same.

// jsonReply is a reusable indenting encoder and its output.
type jsonReply struct {
	buf     bytes.Buffer
	enc     *json.Encoder
	compact []byte // an appender's compact encoding (jsonAppender)
}

var jsonReplies = sync.Pool{New: func() any {
	r := &jsonReply{}
	r.enc = json.NewEncoder(&r.buf)
	r.enc.SetIndent("", "  ")
	return r
}}

// maxPooledReply bounds the buffer a pooled encoder keeps (a large reply,
// e.g. a long history, is not held on to).
const maxPooledReply = 64 << 10

// contentTypeJSON is the Content-Type header's value, shared: set by
// assigning the header map (Header.Set makes a slice each time); it is
// never modified (Set and Add replace or grow a copy).
var contentTypeJSON = []string{"application/json"}

// jsonAppender is a reply that appends its own compact JSON, the very
// bytes json.Marshal writes for it (ok false: it cannot, encoding/json
// then encodes it): a chat message (events.ChatMessage), the reply of
// every Say, without encoding/json's reflection. Indented as the
// encoder indents its own output (Encode: json.Marshal's bytes and a
// newline, through the same indenter as json.Indent), the reply's bytes
// are the same (TestReplyAppender).
type jsonAppender interface {
	AppendJSON(b []byte) (out []byte, ok bool)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	r := jsonReplies.Get().(*jsonReply)
	r.buf.Reset()
	if r.encode(v) { // on an error, as before: nothing written
		_, _ = w.Write(r.buf.Bytes())
	}
	if r.buf.Cap() <= maxPooledReply && cap(r.compact) <= maxPooledReply {
		jsonReplies.Put(r)
	}
}

// encode writes v's reply into r.buf, as r.enc.Encode does.
func (r *jsonReply) encode(v any) bool {
	if a, ok := v.(jsonAppender); ok {
		if r.compact, ok = a.AppendJSON(r.compact[:0]); ok {
			r.compact = append(r.compact, '\n')
			if json.Indent(&r.buf, r.compact, "", "  ") == nil {
				return true
			}
			r.buf.Reset()
		}
	}
	return r.enc.Encode(v) == nil
}

// WriteError writes err as a JSON error object with its status (500
// for an error that is no *Error).
func WriteError(w http.ResponseWriter, err error) {
	ae := AsError(err)
	writeJSON(w, ae.Status, ae)
}
