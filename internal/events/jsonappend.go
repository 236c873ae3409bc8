package events

import (
	"strconv"
	"unicode/utf8"
)

// A chat.message event is published once per chat message stored: at
// 500 messages a second the busiest event by far. Its payload is encoded
// by ChatMessage.appendJSON, straight into the event's SSE message,
// instead of by encoding/json (reflection over 17 fields, the time's
// MarshalJSON buffer, the result copied out and then copied again into
// the message). The bytes are exactly encoding/json's (field order, the
// omitempty rules, HTML-safe string escaping, RFC 3339 time): the tests
// and FuzzChatMessageJSON compare the two. A message the appender does
// not handle (attachments, a time json.Marshal refuses) is encoded by
// encoding/json as before.

// jsonAppender is a payload that appends its own JSON encoding, the
// bytes json.Marshal writes for it; ok false: it cannot (the caller then
// uses json.Marshal).
type jsonAppender interface {
	appendJSON(b []byte) (out []byte, ok bool)
	jsonSize() int // about the length of the encoding
}

func (m ChatMessage) jsonSize() int {
	n := 224 + len(m.ID) + len(m.Workgroup) + len(m.Room) + len(m.Peer) + len(m.Author) + len(m.AuthorID) +
		len(m.Kind) + len(m.Text) + len(m.Parent) + len(m.Target) + len(m.Presence)
	for _, s := range m.Mentions {
		n += len(s) + 3
	}
	return n
}

// AppendJSON appends m as json.Marshal encodes it; ok false: it cannot
// (attachments; the caller then uses encoding/json). The control API's
// replies use it (internal/api: writeJSON).
func (m ChatMessage) AppendJSON(b []byte) (out []byte, ok bool) { return m.appendJSON(b) }

// appendJSON appends m as json.Marshal encodes it.
func (m ChatMessage) appendJSON(b []byte) ([]byte, bool) {
	if len(m.Attachments) > 0 {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = appendJSONText(b, m.ID)
	b = append(b, `,"workgroup":`...)
	b = appendJSONText(b, m.Workgroup)
	b = appendOmitEmpty(b, `,"room":`, m.Room)
	b = appendOmitEmpty(b, `,"peer":`, m.Peer)
	b = append(b, `,"author":`...)
	b = appendJSONText(b, m.Author)
	b = append(b, `,"author_id":`...)
	b = appendJSONText(b, m.AuthorID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, m.Seq, 10)
	b = append(b, `,"time":"`...)
	b, err := m.Time.AppendText(b) // MarshalJSON's text and errors, without its buffer
	if err != nil {
		return b, false
	}
	b = append(b, `","kind":`...)
	b = appendJSONText(b, m.Kind)
	b = appendOmitEmpty(b, `,"text":`, m.Text)
	b = appendOmitEmpty(b, `,"parent":`, m.Parent)
	b = appendOmitEmpty(b, `,"target":`, m.Target)
	if len(m.Mentions) > 0 {
		b = append(b, `,"mentions":[`...)
		for i, s := range m.Mentions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONText(b, s)
		}
		b = append(b, ']')
	}
	if m.Unread {
		b = append(b, `,"unread":true`...)
	}
	b = appendOmitEmpty(b, `,"presence":`, m.Presence)
	return append(b, '}'), true
}

func appendOmitEmpty(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONText(append(b, key...), s)
}

const lowerHex = "0123456789abcdef"

// appendJSONText appends s as a JSON string exactly as json.Marshal
// writes it (encoding/json's appendString with HTML escaping): ", \ and
// control characters escaped (\b \f \n \r \t short), <, > and & as
// \u00XX, U+2028 and U+2029 as \u202X, invalid UTF-8 as \ufffd.
func appendJSONText(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', lowerHex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
