package daemon

import (
	"context"
	"net/http"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/events"
)

// eventsModule makes the node's event bus, first in the module list:
// every module after it publishes to it. It serves the bus as
// Server-Sent Events on GET /v1/events.
func (n *Node) eventsModule(context.Context) (Module, error) {
	n.events = events.New(events.Options{})
	return eventsModule{bus: n.events}, nil
}

// eventsModule is the event bus as a module.
type eventsModule struct{ bus *events.Bus }

// Routes declares GET /v1/events. The streams end when the control API
// shuts down (the bus closes first), so they do not hold the node's stop.
func (m eventsModule) Routes(s *api.Server) {
	h := events.NewHandler(m.bus)
	api.HandleRaw(s, "GET /v1/events", "The node's events as Server-Sent Events (presence, members, transfers, mail, jobs, shares); Last-Event-ID resumes",
		func(w http.ResponseWriter, r *http.Request) {
			if _, err := events.ParseFilter(r.URL.Query()); err != nil {
				api.WriteError(w, api.BadRequest("%v", err))
				return
			}
			h.ServeHTTP(w, r)
		}, "kinds", "workgroup")
	s.OnShutdown(m.bus.Close)
}

// Close closes the bus: every subscription ends.
func (m eventsModule) Close() error {
	m.bus.Close()
	return nil
}
