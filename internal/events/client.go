package events

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Stream sends req (a GET of a Handler, with its Last-Event-ID header
// set to resume) with c and calls fn with each event in order. It ends
// when the server ends the stream (nil), req's context ends, or fn
// returns an error (that error). It returns the id to resume from.
func Stream(c *http.Client, req *http.Request, fn func(Event) error) (lastID string, err error) {
	lastID = req.Header.Get("Last-Event-ID")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		return lastID, fmt.Errorf("events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return lastID, fmt.Errorf("events: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return lastID, fmt.Errorf("events: response is %q, not an event stream", mt)
	}
	r := NewReader(resp.Body)
	for {
		ev, err := r.Next()
		if id := r.LastEventID(); id != "" {
			lastID = id
		}
		switch {
		case errors.Is(err, io.EOF):
			return lastID, nil
		case err != nil:
			if ctxErr := req.Context().Err(); ctxErr != nil {
				return lastID, ctxErr
			}
			return lastID, fmt.Errorf("events: read stream: %w", err)
		}
		if err := fn(ev); err != nil {
			return lastID, err
		}
	}
}
