package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Reader limits.
const (
	MaxLine    = 1 << 20 // bytes in one line of the stream
	MaxMessage = 4 << 20 // bytes of data in one message
)

// Reader errors.
var (
	ErrTooLong  = errors.New("events: SSE line or message too long")
	ErrBadEvent = errors.New("events: SSE message is not an event")
)

// Message is one dispatched SSE message, before decoding.
type Message struct {
	ID    string // the last event ID after this message
	Event string // event type; "message" when the stream named none
	Data  string // data lines joined by "\n"
}

// Reader decodes a text/event-stream as the HTML Living Standard's
// EventSource does ("9.2.6 Interpreting an event stream"): lines end in
// CRLF, LF or CR; a leading BOM is skipped; comments are ignored; a
// message is dispatched at a blank line and only when it has data; an
// unfinished message at the end of the stream is discarded.
type Reader struct {
	br      *bufio.Reader
	line    []byte
	started bool
	skipLF  bool // the last line ended with CR: a following LF belongs to it
	lastID  string
	retry   time.Duration
}

// NewReader reads an SSE stream from r.
func NewReader(r io.Reader) *Reader { return &Reader{br: bufio.NewReader(r)} }

// LastEventID is the id to send as Last-Event-ID when reconnecting.
func (r *Reader) LastEventID() string { return r.lastID }

// Retry is the reconnection time the server asked for (0 when none).
func (r *Reader) Retry() time.Duration { return r.retry }

// readLine returns the next line without its terminator. It scans what
// is buffered, and waits for more only when it holds no line end.
func (r *Reader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	for {
		if _, err := r.br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) && len(r.line) > 0 {
				err = io.ErrUnexpectedEOF // a last line without terminator is dropped
			}
			return nil, err
		}
		buf, _ := r.br.Peek(r.br.Buffered())
		if r.skipLF {
			r.skipLF = false
			if buf[0] == '\n' {
				_, _ = r.br.Discard(1)
				continue
			}
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			i = len(buf)
		}
		if len(r.line)+i > MaxLine {
			return nil, ErrTooLong
		}
		r.line = append(r.line, buf[:i]...)
		if i == len(buf) {
			_, _ = r.br.Discard(i)
			continue
		}
		r.skipLF = buf[i] == '\r'
		_, _ = r.br.Discard(i + 1)
		line := r.line
		if !r.started {
			r.started = true
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		return line, nil
	}
}

// ReadMessage returns the next message with data. At the end of the
// stream it returns io.EOF (or io.ErrUnexpectedEOF inside a message).
func (r *Reader) ReadMessage() (Message, error) {
	var (
		data    strings.Builder
		hasData bool
		typ     string
		id      = r.lastID
	)
	for {
		line, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && (hasData || typ != "") {
				err = io.ErrUnexpectedEOF
			}
			return Message{}, err
		}
		if len(line) == 0 {
			r.lastID = id
			if !hasData {
				typ = ""
				continue
			}
			if typ == "" {
				typ = "message"
			}
			return Message{ID: id, Event: typ, Data: strings.TrimSuffix(data.String(), "\n")}, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value := string(line), ""
		if i := strings.IndexByte(field, ':'); i >= 0 {
			field, value = field[:i], strings.TrimPrefix(field[i+1:], " ")
		}
		switch field {
		case "event":
			typ = value
		case "data":
			if data.Len()+len(value)+1 > MaxMessage {
				return Message{}, ErrTooLong
			}
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				id = value
			}
		case "retry":
			r.setRetry(value)
		}
	}
}

func (r *Reader) setRetry(v string) {
	if v == "" || len(v) > 12 {
		return
	}
	var ms int64
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			return
		}
		ms = ms*10 + int64(c-'0')
	}
	r.retry = time.Duration(ms) * time.Millisecond
}

// Next returns the next event of the stream. A message that is not an
// event yields an error wrapping ErrBadEvent; the Reader stays usable.
func (r *Reader) Next() (Event, error) {
	m, err := r.ReadMessage()
	if err != nil {
		return Event{}, err
	}
	return DecodeMessage(m)
}

// DecodeMessage decodes a message written by WriteEvent.
func DecodeMessage(m Message) (Event, error) {
	var ev Event
	if err := json.Unmarshal([]byte(m.Data), &ev); err != nil {
		return Event{}, fmt.Errorf("%w: %s: %v", ErrBadEvent, m.Event, err)
	}
	if ev.Kind == "" {
		ev.Kind = Kind(m.Event)
	}
	if string(ev.Kind) != m.Event {
		return Event{}, fmt.Errorf("%w: event type %q carries kind %q", ErrBadEvent, m.Event, ev.Kind)
	}
	if ev.Seq == 0 {
		if _, seq, ok := ParseID(m.ID); ok {
			ev.Seq = seq
		}
	}
	return ev, nil
}
