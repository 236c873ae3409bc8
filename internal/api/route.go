package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
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
			dec := json.NewDecoder(io.LimitReader(r.Body, MaxRequestBody))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
				WriteError(w, BadRequest("request body: %v", err))
				return
			}
		}
		out, err := fn(r.Context(), r, in)
		if err != nil {
			WriteError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// HandleRaw declares an endpoint that writes its own response (streams,
// metrics), with its query parameters. It still appears in the OpenAPI
// document.
func HandleRaw(s *Server, pattern, summary string, fn http.HandlerFunc, query ...string) {
	method, path, _ := strings.Cut(pattern, " ")
	s.add(route{Method: method, Path: path, Summary: summary, Query: query})
	s.mux.HandleFunc(pattern, fn)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// WriteError writes err as a JSON error object with its status (500
// for an error that is no *Error).
func WriteError(w http.ResponseWriter, err error) {
	ae := AsError(err)
	writeJSON(w, ae.Status, ae)
}
