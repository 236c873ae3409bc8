package client

import (
	"context"
	"errors"
	"io"
	"strings"

	t "github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/events"
)

// Events is GET /v1/events: the node's event stream, of the given kinds
// (none: every kind) and workgroup ("" : every workgroup). The stream is
// open when Events returns: no event published after that is missed.
func (c *Client) Events(ctx context.Context, wg string, kinds ...t.EventKind) (*EventStream, error) {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	path := withQuery("/v1/events", "kinds", strings.Join(ks, ","), "workgroup", wg)
	res, err := c.t.Stream(ctx, get, path, nil, "")
	if err != nil {
		return nil, err
	}
	// The node subscribes before it sends the headers: once they are
	// here, nothing published later is missed.
	return &EventStream{body: res.Body, r: events.NewReader(res.Body)}, nil
}

// EventStream is an open event stream.
type EventStream struct {
	body io.Closer
	r    *events.Reader
}

// Next returns the next event; io.EOF when the node ended the stream
// (it stopped). A message that is no event is skipped.
func (s *EventStream) Next() (t.Event, error) {
	for {
		ev, err := s.r.Next()
		if errors.Is(err, events.ErrBadEvent) {
			continue
		}
		return ev, err
	}
}

// Close ends the stream.
func (s *EventStream) Close() error { return s.body.Close() }
