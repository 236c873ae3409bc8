package events

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Handler defaults.
const (
	DefaultHeartbeat    = 15 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	// MaxWorkgroupParam bounds the workgroup query parameter.
	MaxWorkgroupParam = 256
)

// Handler serves a Bus as Server-Sent Events: GET with optional query
// parameters kinds (comma separated, repeatable) and workgroup, and the
// Last-Event-ID header to resume. See the package doc for the format.
type Handler struct {
	Bus          *Bus
	Heartbeat    time.Duration // comment line interval; DefaultHeartbeat when 0
	WriteTimeout time.Duration // deadline of each write; DefaultWriteTimeout when 0
}

// NewHandler returns a Handler for b with the default timings.
func NewHandler(b *Bus) *Handler { return &Handler{Bus: b} }

// FormatID is the SSE id of event seq of the bus with that epoch.
func FormatID(epoch string, seq uint64) string {
	return epoch + "-" + strconv.FormatUint(seq, 10)
}

// ParseID splits an SSE id made by FormatID.
func ParseID(id string) (epoch string, seq uint64, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return id[:i], seq, true
}

// ParseFilter reads the kinds and workgroup query parameters.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	for _, v := range q["kinds"] {
		for k := range strings.SplitSeq(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if !Known(Kind(k)) {
				return Filter{}, fmt.Errorf("events: unknown kind %q", k)
			}
			f.Kinds = append(f.Kinds, Kind(k))
		}
	}
	f.Workgroup = q.Get("workgroup")
	if len(f.Workgroup) > MaxWorkgroupParam {
		return Filter{}, errors.New("events: workgroup parameter too long")
	}
	return f, nil
}

// ServeHTTP streams events until the client goes away or the bus closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.Bus == nil {
		http.Error(w, "no event stream", http.StatusServiceUnavailable)
		return
	}
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var (
		sub    *Subscription
		replay []Event
	)
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		sub, replay = h.Bus.SubscribeAfterID(f, last)
	} else {
		sub = h.Bus.Subscribe(f)
	}
	defer sub.Close()

	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	s := &stream{rc: http.NewResponseController(w), bw: bufio.NewWriter(w), epoch: h.Bus.Epoch(), timeout: h.WriteTimeout}
	if s.timeout <= 0 {
		s.timeout = DefaultWriteTimeout
	}
	// The opening comment flushes the headers: the client knows it is subscribed.
	_, _ = io.WriteString(s.bw, ": peerhood events\n\n")
	if s.send(replay) != nil {
		return
	}
	h.loop(r, sub, s)
}

func (h *Handler) loop(r *http.Request, sub *Subscription, s *stream) {
	every := h.Heartbeat
	if every <= 0 {
		every = DefaultHeartbeat
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var buf []Event
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.Ready():
			buf = sub.Take(buf[:0])
			if s.send(buf) != nil {
				return
			}
		case <-sub.Done():
			_ = s.send(sub.Take(buf[:0]))
			return
		case <-tick.C:
			_, _ = io.WriteString(s.bw, ":\n\n")
			if s.send(nil) != nil {
				return
			}
		}
	}
}

// stream writes SSE messages to one response.
type stream struct {
	rc      *http.ResponseController
	bw      *bufio.Writer
	epoch   string
	timeout time.Duration
}

// send writes evs and flushes everything buffered to the client.
func (s *stream) send(evs []Event) error {
	err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	for _, ev := range evs {
		if err := WriteEvent(s.bw, s.epoch, ev); err != nil {
			return err
		}
	}
	if err := s.bw.Flush(); err != nil {
		return err
	}
	return s.rc.Flush()
}

// WriteEvent writes ev as one SSE message: id, event and data lines and
// a blank line. The data is the event as one line of JSON.
func WriteEvent(w io.Writer, epoch string, ev Event) error {
	if b, ok := ev.frame(epoch); ok { // encoded when published
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("events: write event %d: %w", ev.Seq, err)
		}
		return nil
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("events: encode event %d: %w", ev.Seq, err)
	}
	if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", FormatID(epoch, ev.Seq), ev.Kind, data); err != nil {
		return fmt.Errorf("events: write event %d: %w", ev.Seq, err)
	}
	return nil
}
