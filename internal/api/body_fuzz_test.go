package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// fuzzReq has a field of each kind the API's request types use.
type fuzzReq struct {
	Name  string            `json:"name"`
	Size  int64             `json:"size,omitempty"`
	N     *uint32           `json:"n,omitempty"`
	Tags  []string          `json:"tags,omitempty"`
	Attrs map[string]int    `json:"attrs,omitempty"`
	Sub   *fuzzSub          `json:"sub,omitempty"`
	Opts  map[string]string `json:"opts,omitempty"`
}

type fuzzSub struct {
	A bool    `json:"a"`
	B float64 `json:"b"`
}

// FuzzRequestBody posts any body to an endpoint declared with Handle.
// The handler runs exactly when the body is empty or one JSON value
// (nothing after it) that encoding/json's plain Unmarshal decodes to the
// same request; otherwise the answer is a 400 with a JSON error. What
// the handler got, encoded and posted again, decodes to the same.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","size":3,"n":7,"tags":["x"],"attrs":{"k":1},"sub":{"a":true,"b":1.5},"opts":{"o":"v"}}`,
		``, ` `, `{}`, `{} `, "{}\n", `{}{}`, `{} x`, `null`, `[]`, `"s"`, `{"name":1}`, `{"nope":1}`, `{"Name":"a"}`, `{"name":"a","name":"b"}`,
		`{"n":-1}`, `{"n":4294967296}`, `{"size":1e3}`, `{"sub":null}`, `{"name":"\ud800"}`, "{\"name\":\"\xff\"}", `{"attrs":{"":1}}`,
	} {
		f.Add([]byte(s))
	}
	s := NewServer(nil, nil)
	var got fuzzReq
	var called bool
	Handle(s, "POST /v1/fuzz", "fuzz", func(_ context.Context, _ *http.Request, req fuzzReq) (Empty, error) {
		got, called = req, true
		return Empty{}, nil
	})
	h := s.Handler()
	post := func(body []byte) *httptest.ResponseRecorder {
		got, called = fuzzReq{}, false
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/fuzz", bytes.NewReader(body)))
		return w
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(body)
		if !called {
			var e struct {
				Code    string `json:"code"`
				Message string `json:"error"`
			}
			if w.Code != http.StatusBadRequest || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Message == "" {
				t.Fatalf("body %q refused with %d %q", body, w.Code, w.Body.String())
			}
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("body %q: handler ran, answer %d", body, w.Code)
		}
		first := got
		if len(bytes.TrimSpace(body)) > 0 {
			var want fuzzReq
			if !json.Valid(body) || json.Unmarshal(body, &want) != nil || !reflect.DeepEqual(want, first) {
				t.Fatalf("body %q accepted as %+v; json.Unmarshal: valid %v, %+v", body, first, json.Valid(body), want)
			}
		} else if !reflect.DeepEqual(first, fuzzReq{}) {
			t.Fatalf("empty body decoded as %+v", first)
		}
		again, err := json.Marshal(first)
		if err != nil {
			t.Fatal(err)
		}
		if w := post(again); !called || w.Code != http.StatusOK || !reflect.DeepEqual(got, first) {
			t.Fatalf("%+v encoded as %s: %d, decoded %+v", first, again, w.Code, got)
		}
	})
}
