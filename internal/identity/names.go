package identity

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest node name (a DNS label).
const MaxNameLen = 63

// ValidateName reports whether s is a valid node or workgroup member name.
func ValidateName(s string) error {
	if s == "" {
		return fmt.Errorf("name is empty")
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("name %q is %d characters; at most %d", s, len(s), MaxNameLen)
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return fmt.Errorf("name %q must not start or end with '-'", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("name %q: character %q not allowed (use letters, digits and '-')", s, r)
		}
	}
	return nil
}

// CanonicalName returns the form names are compared in (lower case).
func CanonicalName(s string) string { return strings.ToLower(s) }

// FoldName turns an arbitrary string (such as a host name) into a valid
// DNS label: lower case, runs of other characters become '-', trimmed to
// 63 characters. It returns "node" when nothing usable remains.
func FoldName(s string) string {
	if i := strings.IndexByte(s, '.'); i > 0 {
		s = s[:i]
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > MaxNameLen {
		out = strings.Trim(out[:MaxNameLen], "-")
	}
	if out == "" {
		return "node"
	}
	return out
}
