//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/peerhood/peerhood/internal/api"
)

// The load generator shares the machine's cores with the members it
// measures, so it does the least work that measures the same thing:
//
//   - A sender writes each Say as one HTTP/1.1 request on its own
//     keep-alive connection to its member's control socket and reads the
//     reply in the same goroutine (net/http's client hands every request
//     to a write goroutine and every reply to a read goroutine: two
//     goroutine switches each way); the reply is checked by its status,
//     not decoded (only failures are counted).
//   - A member's event stream is read by eventScanner: the SSE fields it
//     needs, the chat.message's room and text found by their keys in the
//     data line (bench texts are parsed without a string made), instead
//     of a generic SSE reader making strings of every line.
//
// What is counted is the same: every Say that did not answer 2xx is a
// send error, every bench text displayed is noted by the same rules.

// sayConn is one sender's keep-alive connection to a member's control API.
type sayConn struct {
	sock string
	c    net.Conn
	br   *bufio.Reader
	req  []byte // the request being written, reused
}

func newSayConn(home string) *sayConn {
	return &sayConn{sock: filepath.Join(home, api.SocketFile)}
}

// sayTimeout bounds one Say (request written, reply read).
const sayTimeout = 60 * time.Second

// say sends POST /v1/chat/say with the JSON body and reads the reply.
// A connection that failed is closed and the next Say dials again; a
// failed Say is not retried (it may have been stored).
func (s *sayConn) say(body []byte) error {
	if s.c == nil {
		c, err := net.Dial("unix", s.sock)
		if err != nil {
			return fmt.Errorf("say: %w", err)
		}
		s.c, s.br = c, bufio.NewReaderSize(c, 8<<10)
	}
	err := s.roundTrip(body)
	if err != nil && !errors.As(err, new(*statusError)) {
		s.c.Close()
		s.c = nil
	}
	return err
}

// statusError is a reply that was not 2xx (the connection stays usable).
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("say: HTTP %d: %s", e.status, e.body) }

func (s *sayConn) roundTrip(body []byte) error {
	if err := s.c.SetDeadline(time.Now().Add(sayTimeout)); err != nil {
		return err
	}
	s.req = append(s.req[:0], "POST /v1/chat/say HTTP/1.1\r\nHost: peerhood\r\nContent-Type: application/json\r\nContent-Length: "...)
	s.req = strconv.AppendInt(s.req, int64(len(body)), 10)
	s.req = append(s.req, "\r\n\r\n"...)
	s.req = append(s.req, body...)
	if _, err := s.c.Write(s.req); err != nil {
		return fmt.Errorf("say: write: %w", err)
	}
	res, err := http.ReadResponse(s.br, nil)
	if err != nil {
		return fmt.Errorf("say: read reply: %w", err)
	}
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil || res.Close {
			return fmt.Errorf("say: HTTP %d, then: %v", res.StatusCode, err)
		}
		return &statusError{res.StatusCode, string(bytes.TrimSpace(msg))}
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return fmt.Errorf("say: read reply: %w", err)
	}
	if res.Close {
		return errors.New("say: the server closes the connection") // dial again next time
	}
	return nil
}

// sayBody is the JSON body of a Say of text in room of workgroup wg,
// appended to b: what json.Marshal writes for t.ChatSayRequest.
func sayBody(b []byte, wg, room, text string) []byte {
	b = append(b, `{"workgroup":`...)
	b = appendJSONString(b, wg)
	b = append(b, `,"room":`...)
	b = appendJSONString(b, room)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, text)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string: as it is when it needs no
// escaping (bench texts, names), else by json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// eventScanner reads an SSE stream of chat.message events (as the
// node's events handler writes them: "id:", "event:" and one "data:"
// line per message, LF line ends; CRLF and several data lines are read
// too) and yields the text of each message of one room.
type eventScanner struct {
	br        *bufio.Reader
	roomField []byte // `"room":` + the room as json.Marshal writes it
	event     []byte // the current message's event type
	data      []byte // its data lines, joined by "\n"
	hasData   bool
	long      []byte // a line longer than the buffer, gathered
	gaps      int    // gap events read: events the node dropped for this slow reader
}

func newEventScanner(r io.Reader, room string) *eventScanner {
	s := &eventScanner{br: bufio.NewReaderSize(r, 64<<10)}
	if utf8.ValidString(room) { // else no decoded room equals it: none matches
		q, _ := json.Marshal(room)
		s.roomField = append([]byte(`"room":`), q...)
	}
	return s
}

// next returns the text of the next chat.message of the room (valid
// until the next call), or the stream's error.
func (s *eventScanner) next() ([]byte, error) {
	for {
		line, err := s.line()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 { // dispatch
			ok := s.hasData && string(s.event) == "chat.message"
			if s.hasData && string(s.event) == "gap" {
				s.gaps++
			}
			s.event, s.hasData = s.event[:0], false
			if !ok {
				s.data = s.data[:0]
				continue
			}
			text, found := chatText(s.data, s.roomField)
			s.data = s.data[:0]
			if found {
				return text, nil
			}
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			s.event = append(s.event[:0], value...)
		case "data":
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			s.hasData = true
		}
	}
}

// line returns the next line without its end (LF or CRLF), valid until
// the next call.
func (s *eventScanner) line() ([]byte, error) {
	l, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], l...)
		for errors.Is(err, bufio.ErrBufferFull) {
			l, err = s.br.ReadSlice('\n')
			s.long = append(s.long, l...)
		}
		l = s.long
	}
	if err != nil {
		return nil, err
	}
	l = l[:len(l)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}

// textKey is the chat message's text key in an event's data.
var textKey = []byte(`"text":"`)

// chatText returns the "text" of a chat.message event's data when its
// "room" is the room roomField names (`"room":"NAME"`), as decoding the
// data with encoding/json would (TestChatText, FuzzChatText): in
// json.Marshal's output a key pattern like `"room":"` cannot occur
// inside a string (a quote in a string is escaped), and an event of
// chat.message has one room and one text key (those of its data). A
// text with escapes is unquoted by encoding/json.
func chatText(data, roomField []byte) ([]byte, bool) {
	if roomField == nil {
		return nil, false
	}
	i := bytes.Index(data, roomField)
	if i < 0 || i+len(roomField) >= len(data) || (data[i+len(roomField)] != ',' && data[i+len(roomField)] != '}') {
		return nil, false
	}
	i = bytes.Index(data, textKey)
	if i < 0 {
		return nil, false
	}
	start := i + len(textKey)
	escaped := false
	for j := start; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++ // the escaped byte
		case '"':
			if !escaped {
				return data[start:j], true
			}
			var t string
			if json.Unmarshal(data[start-1:j+1], &t) != nil {
				return nil, false
			}
			return []byte(t), true
		}
	}
	return nil, false
}

// benchText parses a bench text ("b K DUE": message number, due time in
// Unix ns) as note did with strings.Fields, strconv.Atoi and
// strconv.ParseInt: the exact form "b " digits " " digits (up to 18
// each, no overflow) directly; anything else (other spacing, signs,
// longer numbers) by those functions.
func benchText(text []byte) (k int, ns int64, ok bool) {
	if len(text) > 2 && text[0] == 'b' && text[1] == ' ' {
		a, rest, ok1 := digits(text[2:])
		if ok1 && len(rest) > 1 && rest[0] == ' ' {
			if b, end, ok2 := digits(rest[1:]); ok2 && len(end) == 0 {
				return int(a), b, true
			}
		}
	}
	return benchTextSlow(string(text))
}

// digits reads 1 to 18 ASCII digits at the front of b (no overflow of
// int64) and returns their value and what follows.
func digits(b []byte) (int64, []byte, bool) {
	var v int64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		if n == 18 {
			return 0, nil, false
		}
		v = v*10 + int64(b[n]-'0')
		n++
	}
	return v, b[n:], n > 0
}
