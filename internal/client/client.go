package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/peerhood/peerhood/internal/api"
)

// Client calls one node's control API.
type Client struct {
	t   *api.Client
	raw func([]byte)
}

// New returns a client for the node whose state folder is home.
func New(home string) *Client { return &Client{t: api.NewClient(home)} }

// Transport returns the untyped transport underneath (raw calls, tests).
func (c *Client) Transport() *api.Client { return c.t }

// WithRaw returns a client that hands every JSON reply, as the node sent
// it, to f before decoding it (for --json output). A reply that does not
// decode is then no error: f has it as it is.
func (c *Client) WithRaw(f func([]byte)) *Client {
	cp := *c
	cp.raw = f
	return &cp
}

// WaitReady polls the node until it answers or ctx ends.
func (c *Client) WaitReady(ctx context.Context) error { return c.t.WaitReady(ctx) }

// call runs one JSON call and decodes its reply into T.
func call[T any](ctx context.Context, c *Client, method, path string, req any) (T, error) {
	var v T
	raw, err := c.t.DoRaw(ctx, method, path, req)
	if err != nil {
		return v, err
	}
	if c.raw != nil {
		c.raw(raw)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil && c.raw == nil {
			return v, fmt.Errorf("decode reply of %s %s: %w", method, path, err)
		}
	}
	return v, nil
}

// withQuery appends the non-empty values of kv (key, value, ...) to path.
func withQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

const (
	get  = http.MethodGet
	post = http.MethodPost
	put  = http.MethodPut
	del  = http.MethodDelete
)

// DefaultHome returns the state folder: $PEERHOOD_HOME, else the OS user
// config folder + /peerhood.
func DefaultHome() (string, error) { return api.DefaultHome() }

// ErrNotRunning reports that no node answers on the state folder's socket.
var ErrNotRunning = api.ErrNotRunning
