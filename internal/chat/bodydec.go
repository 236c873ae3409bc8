package chat

import (
	"encoding/binary"
	"unicode/utf8"
)

// Fast body decoding (doc.go, "Message": parse).
//
// decodeBody reads a message body only when it is exactly the
// deterministic encoding sign writes (wire's CoreDetEncOptions): a map
// of fewer than 24 pairs, keys 1..14 in ascending order, each head in
// its shortest form, the always-encoded fields (1 V, 2 Workgroup,
// 5 Author, 6 Seq, 8 HLC, 10 Kind) present, an omitempty field present
// only when not empty, text strings valid UTF-8, nothing after the map.
// Anything else (attachments, key 15, included) returns false and goes
// to the general decoder and the re-encoding check, so what is accepted
// does not change (FuzzParseDifferential compares both on every input);
// it only skips reflection and the second encoding. The byte fields
// share one new array (not raw: a field kept later does not pin the
// frame).

// bodyAlways is the set of keys the encoder writes even when empty.
const bodyAlways = 1<<1 | 1<<2 | 1<<5 | 1<<6 | 1<<8 | 1<<10

// decodeBody decodes enc into b when it is in the form sign writes.
// hint (may be nil) is a body decoded before, on the same stream: a
// workgroup or room name equal to its own is its string, not a new one
// (two allocations less per pushed message; the value is the same).
func decodeBody(enc []byte, b *body, hint *body) bool {
	if len(enc) < 1 || enc[0]>>5 != 5 || enc[0]&0x1f >= 24 {
		return false
	}
	n, p := int(enc[0]&0x1f), enc[1:]
	var seen, prev uint
	var bytesAt [5][]byte // To, Author, Prev, Parent, Target as read
	for range n {
		if len(p) < 1 || p[0] < 1 || p[0] > 14 || uint(p[0]) <= prev {
			return false
		}
		key := uint(p[0])
		prev, seen, p = key, seen|1<<key, p[1:]
		var ok bool
		switch key {
		case 1, 6, 8:
			var v uint64
			if v, p, ok = cborHead(p, 0); !ok {
				return false
			}
			switch key {
			case 1:
				if v > 0xff {
					return false
				}
				b.V = uint8(v)
			case 6:
				b.Seq = v
			case 8:
				b.HLC = v
			}
		case 2, 3, 10, 12:
			var s []byte
			if s, p, ok = cborBytes(p, 3); !ok || !utf8.Valid(s) || (key != 2 && key != 10 && len(s) == 0) {
				return false
			}
			switch key {
			case 2:
				if hint != nil && string(s) == hint.Workgroup {
					b.Workgroup = hint.Workgroup
				} else {
					b.Workgroup = string(s)
				}
			case 3:
				if hint != nil && string(s) == hint.Room {
					b.Room = hint.Room
				} else {
					b.Room = string(s)
				}
			case 10:
				b.Kind = kindString(s)
			case 12:
				b.Text = string(s)
			}
		case 4, 5, 7, 9, 11:
			var s []byte
			if s, p, ok = cborBytes(p, 2); !ok || (key != 5 && len(s) == 0) {
				return false
			}
			bytesAt[byteField(key)] = s
		case 13, 14:
			var l []string
			if l, p, ok = cborTexts(p); !ok {
				return false
			}
			if key == 13 {
				b.Mentions = l
			} else {
				b.Allow = l
			}
		}
	}
	if len(p) != 0 || seen&bodyAlways != bodyAlways {
		return false
	}
	b.To, b.Author, b.Prev, b.Parent, b.Target = copyBytes(bytesAt)
	return true
}

// byteField is the index in decodeBody's bytesAt of a byte-string key.
func byteField(key uint) int {
	switch key {
	case 4:
		return 0
	case 5:
		return 1
	case 7:
		return 2
	case 9:
		return 3
	}
	return 4 // 11
}

// copyBytes copies the byte fields into one new array, each capped (an
// append to one never writes into the next); an absent field stays nil,
// the author (always encoded) is empty rather than nil, as the general
// decoder leaves them.
func copyBytes(f [5][]byte) (to, author, prev, parent, target []byte) {
	total := 0
	for _, s := range f {
		total += len(s)
	}
	all := make([]byte, 0, total)
	out := [5][]byte{}
	for i, s := range f {
		if s == nil {
			continue
		}
		start := len(all)
		all = append(all, s...)
		out[i] = all[start:len(all):len(all)]
	}
	if out[1] == nil {
		out[1] = []byte{}
	}
	return out[0], out[1], out[2], out[3], out[4]
}

// kindString returns the kind's constant when it is a known one (no
// allocation), a copy otherwise.
func kindString(s []byte) string {
	switch string(s) {
	case KindText:
		return KindText
	case KindEdit:
		return KindEdit
	case KindDelete:
		return KindDelete
	case KindReaction:
		return KindReaction
	case KindAlert:
		return KindAlert
	case KindACL:
		return KindACL
	case KindTopic:
		return KindTopic
	case KindNotice:
		return KindNotice
	}
	return string(s)
}

// cborHead reads a head of major type major with its argument in the
// shortest form (no indefinite length), returning the argument and what
// follows.
func cborHead(b []byte, major byte) (uint64, []byte, bool) {
	if len(b) < 1 || b[0]>>5 != major {
		return 0, nil, false
	}
	n := uint64(b[0] & 0x1f)
	switch {
	case n < 24:
		return n, b[1:], true
	case n == 24 && len(b) >= 2 && b[1] >= 24:
		return uint64(b[1]), b[2:], true
	case n == 25 && len(b) >= 3 && binary.BigEndian.Uint16(b[1:]) > 0xff:
		return uint64(binary.BigEndian.Uint16(b[1:])), b[3:], true
	case n == 26 && len(b) >= 5 && binary.BigEndian.Uint32(b[1:]) > 0xffff:
		return uint64(binary.BigEndian.Uint32(b[1:])), b[5:], true
	case n == 27 && len(b) >= 9 && binary.BigEndian.Uint64(b[1:]) > 0xffffffff:
		return binary.BigEndian.Uint64(b[1:]), b[9:], true
	}
	return 0, nil, false
}

// cborBytes reads a definite-length byte (major 2) or text (major 3)
// string, pointing into b.
func cborBytes(b []byte, major byte) ([]byte, []byte, bool) {
	n, rest, ok := cborHead(b, major)
	if !ok || uint64(len(rest)) < n {
		return nil, nil, false
	}
	return rest[:n:n], rest[n:], true
}

// cborTexts reads a non-empty array of valid UTF-8 text strings (an
// empty one is omitted by the encoder). The count is bounded by what
// is left (each element takes a byte at least).
func cborTexts(b []byte) ([]string, []byte, bool) {
	n, rest, ok := cborHead(b, 4)
	if !ok || n == 0 || n > uint64(len(rest)) {
		return nil, nil, false
	}
	out := make([]string, n)
	for i := range out {
		var s []byte
		if s, rest, ok = cborBytes(rest, 3); !ok || !utf8.Valid(s) {
			return nil, nil, false
		}
		out[i] = string(s)
	}
	return out, rest, true
}
