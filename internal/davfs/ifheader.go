package davfs

import (
	"errors"
	"strings"
)

// The WebDAV If header (RFC 4918 10.4), parsed here because the
// evaluation (lock tokens and ETags, 412 against 423) is ours:
//
//	If = ( 1*No-tag-list | 1*Tagged-list )
//	Tagged-list = "<" URI ">" 1*List
//	List = "(" 1*( ["Not"] ( "<" state-token ">" | "[" entity-tag "]" ) ) ")"

// ifCond is one condition of a list.
type ifCond struct {
	not   bool
	token string // a state token (lock token), or
	etag  string // an entity tag with its quotes (and W/ if weak)
}

// ifList is a conjunction of conditions about one resource.
type ifList struct {
	tag   string // the Resource-Tag URI; "" for the request's resource
	conds []ifCond
}

// maxIfLists bounds the work one If header can ask for.
const maxIfLists = 64

var errBadIf = errors.New("malformed If header")

// parseIf parses an If header into its lists (a disjunction).
func parseIf(s string) ([]ifList, error) {
	var out []ifList
	tag, tagged := "", false
	s = strings.TrimSpace(s)
	for s != "" {
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return nil, errBadIf
			}
			if len(out) > 0 && !tagged {
				return nil, errBadIf // no-tag and tagged lists mixed
			}
			tag, tagged = s[1:end], true
			s = s[end+1:]
		case '(':
			l, rest, err := parseIfList(s[1:])
			if err != nil {
				return nil, err
			}
			if tagged && tag == "" {
				return nil, errBadIf
			}
			l.tag = tag
			out = append(out, l)
			if len(out) > maxIfLists {
				return nil, errBadIf
			}
			s = rest
		default:
			return nil, errBadIf
		}
		s = strings.TrimLeft(s, " \t")
	}
	if len(out) == 0 {
		return nil, errBadIf
	}
	return out, nil
}

// parseIfList parses the conditions after "(" up to ")".
func parseIfList(s string) (ifList, string, error) {
	var l ifList
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return l, "", errBadIf
		}
		if s[0] == ')' {
			if len(l.conds) == 0 {
				return l, "", errBadIf
			}
			return l, s[1:], nil
		}
		var c ifCond
		if len(s) >= 3 && strings.EqualFold(s[:3], "not") {
			c.not = true
			s = strings.TrimLeft(s[3:], " \t")
		}
		if s == "" {
			return l, "", errBadIf
		}
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end <= 1 {
				return l, "", errBadIf
			}
			c.token, s = s[1:end], s[end+1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end <= 1 {
				return l, "", errBadIf
			}
			c.etag, s = s[1:end], s[end+1:]
		default:
			return l, "", errBadIf
		}
		l.conds = append(l.conds, c)
		if len(l.conds) > maxIfLists {
			return l, "", errBadIf
		}
	}
}

// tokens returns every state token the header names: all of them count
// as submitted (RFC 4918 10.4.1), whatever list they stand in.
func ifTokens(lists []ifList) map[string]bool {
	out := map[string]bool{}
	for _, l := range lists {
		for _, c := range l.conds {
			if c.token != "" {
				out[c.token] = true
			}
		}
	}
	return out
}
