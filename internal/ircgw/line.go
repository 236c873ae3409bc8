package ircgw

import (
	"errors"
	"fmt"
	"strings"
)

// Line limits (RFC 1459 section 2.3, IRCv3 message-tags).
const (
	// MaxLine is the longest line without tags, CR LF included.
	MaxLine = 512
	// MaxTags is the longest tag section, the leading '@' and the
	// trailing space included.
	MaxTags = 8191
	// MaxParams is the most parameters a line carries (the 15th takes
	// the rest of the line).
	MaxParams = 15
	// MaxRead is the longest line the reader accepts, CR LF included.
	MaxRead = MaxTags + MaxLine
)

// Tag is one IRCv3 message tag. A tag without a value has Value "".
type Tag struct {
	Key   string
	Value string
}

// Line is one IRC message.
type Line struct {
	Tags    []Tag
	Source  string // without the leading ':'
	Command string // upper case
	Params  []string
}

// Errors of Parse.
var (
	ErrEmpty     = errors.New("empty line")
	ErrTooLong   = errors.New("line too long")
	ErrBadByte   = errors.New("NUL, CR or LF inside the line")
	ErrBadTag    = errors.New("malformed tag")
	ErrBadSource = errors.New("malformed source")
	ErrBadCmd    = errors.New("malformed command")
)

// Get returns the value of the last tag named key.
func (l *Line) Get(key string) (string, bool) {
	for i := len(l.Tags) - 1; i >= 0; i-- {
		if l.Tags[i].Key == key {
			return l.Tags[i].Value, true
		}
	}
	return "", false
}

// Param returns the i-th parameter or "".
func (l *Line) Param(i int) string {
	if i >= 0 && i < len(l.Params) {
		return l.Params[i]
	}
	return ""
}

// ParseLine parses one line; a trailing CR LF (or lone LF or CR) is
// dropped first. Extra spaces between parameters are ignored.
func ParseLine(s string) (Line, error) {
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if strings.ContainsAny(s, "\x00\r\n") {
		return Line{}, ErrBadByte
	}
	var l Line
	if strings.HasPrefix(s, "@") {
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			return Line{}, ErrBadTag
		}
		if end+1 > MaxTags {
			return Line{}, fmt.Errorf("%w: %d tag bytes exceed %d", ErrTooLong, end+1, MaxTags)
		}
		tags, err := parseTags(s[1:end])
		if err != nil {
			return Line{}, err
		}
		l.Tags = tags
		s = s[end+1:]
	}
	s = strings.TrimLeft(s, " ")
	if len(s)+2 > MaxLine {
		return Line{}, fmt.Errorf("%w: %d bytes exceed %d", ErrTooLong, len(s)+2, MaxLine)
	}
	if strings.HasPrefix(s, ":") {
		end := strings.IndexByte(s, ' ')
		if end < 0 || end == 1 {
			return Line{}, ErrBadSource
		}
		l.Source = s[1:end]
		s = strings.TrimLeft(s[end:], " ")
	}
	cmd, rest, _ := strings.Cut(s, " ")
	if cmd == "" {
		return Line{}, ErrEmpty
	}
	if !validCommand(cmd) {
		return Line{}, fmt.Errorf("%w: %q", ErrBadCmd, cmd)
	}
	l.Command = strings.ToUpper(cmd)
	l.Params = parseParams(rest)
	return l, nil
}

func parseParams(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return out
		}
		if s[0] == ':' || len(out) == MaxParams-1 {
			return append(out, strings.TrimPrefix(s, ":"))
		}
		p, rest, _ := strings.Cut(s, " ")
		out = append(out, p)
		s = rest
	}
}

func validCommand(c string) bool {
	if len(c) == 3 && isDigit(c[0]) && isDigit(c[1]) && isDigit(c[2]) {
		return true
	}
	for i := 0; i < len(c); i++ {
		if !isLetter(c[i]) {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func parseTags(s string) ([]Tag, error) {
	if s == "" {
		return nil, ErrBadTag
	}
	var out []Tag
	for part := range strings.SplitSeq(s, ";") {
		if part == "" {
			continue // "a;;b" and a trailing ';' are tolerated
		}
		k, v, _ := strings.Cut(part, "=")
		if !validTagKey(k) {
			// message-tags: an invalid key name never rejects the
			// message; the tag is dropped.
			continue
		}
		out = append(out, Tag{Key: k, Value: unescapeTag(v)})
	}
	return out, nil
}

// validTagKey: ['+'] [ vendor '/' ] name, name of letters, digits and
// '-', vendor a host name.
func validTagKey(k string) bool {
	k = strings.TrimPrefix(k, "+")
	vendor, name, hasVendor := strings.Cut(k, "/")
	if !hasVendor {
		name, vendor = vendor, ""
	}
	if name == "" || (hasVendor && vendor == "") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	for i := 0; i < len(vendor); i++ {
		if c := vendor[i]; !isLetter(c) && !isDigit(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func unescapeTag(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(v) {
			break // a lone trailing backslash is dropped
		}
		switch v[i] {
		case ':':
			b.WriteByte(';')
		case 's':
			b.WriteByte(' ')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

var tagEscaper = strings.NewReplacer(`\`, `\\`, ";", `\:`, " ", `\s`, "\r", `\r`, "\n", `\n`)

// EscapeTag escapes a tag value for the wire.
func EscapeTag(v string) string {
	if !strings.ContainsAny(v, "\\; \r\n") {
		return v
	}
	return tagEscaper.Replace(v)
}

// Format serializes l without the final CR LF. It refuses a line that
// could not be parsed back as l: a bad command or tag key, a source or a
// middle parameter that is empty, holds a space or starts with ':', a
// NUL, CR or LF outside tag values, or a line over the limits.
func Format(l Line) (string, error) {
	var b strings.Builder
	size := len(l.Source) + len(l.Command) + 4
	for _, t := range l.Tags {
		size += len(t.Key) + len(t.Value) + 2
	}
	for _, p := range l.Params {
		size += len(p) + 2
	}
	b.Grow(size)
	if len(l.Tags) > 0 {
		b.WriteByte('@')
		for i, t := range l.Tags {
			if !validTagKey(t.Key) {
				return "", fmt.Errorf("%w: key %q", ErrBadTag, t.Key)
			}
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(t.Key)
			if t.Value != "" {
				b.WriteByte('=')
				b.WriteString(EscapeTag(t.Value))
			}
		}
		b.WriteByte(' ')
		if b.Len() > MaxTags {
			return "", fmt.Errorf("%w: %d tag bytes exceed %d", ErrTooLong, b.Len(), MaxTags)
		}
	}
	tagLen := b.Len()
	if l.Source != "" {
		if strings.ContainsAny(l.Source, " \x00\r\n") {
			return "", ErrBadSource
		}
		b.WriteByte(':')
		b.WriteString(l.Source)
		b.WriteByte(' ')
	}
	if l.Command == "" || !validCommand(l.Command) {
		return "", fmt.Errorf("%w: %q", ErrBadCmd, l.Command)
	}
	b.WriteString(strings.ToUpper(l.Command))
	if len(l.Params) > MaxParams {
		return "", fmt.Errorf("%d parameters exceed %d", len(l.Params), MaxParams)
	}
	for i, p := range l.Params {
		if strings.ContainsAny(p, "\x00\r\n") {
			return "", ErrBadByte
		}
		b.WriteByte(' ')
		if i == len(l.Params)-1 && (p == "" || strings.Contains(p, " ") || p[0] == ':') {
			b.WriteByte(':')
		} else if p == "" || strings.Contains(p, " ") || p[0] == ':' {
			return "", fmt.Errorf("middle parameter %d %q: empty, holds a space or starts with ':'", i, p)
		}
		b.WriteString(p)
	}
	if n := b.Len() - tagLen + 2; n > MaxLine {
		return "", fmt.Errorf("%w: %d bytes exceed %d", ErrTooLong, n, MaxLine)
	}
	return b.String(), nil
}
