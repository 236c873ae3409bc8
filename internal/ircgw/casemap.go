package ircgw

// CASEMAPPING=ascii (ISUPPORT): nicks and channel names compare with
// A-Z folded to a-z and every other byte as it is. Member and room names
// are ASCII (identity.ValidateName; chat's room names), so this is what
// a client can predict; a workgroup's tag may hold any letter, and
// "É" and "é" in it are two names, as the client sees them. Unicode
// folding (strings.EqualFold, strings.ToLower) would find member kim
// for "\u212Aim" (the Kelvin sign folds to k) or a workgroup for a
// spelling the client takes for another name.

// fold is s with A-Z lowered, the rest unchanged.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// equalFold reports whether a and b are the same name under
// CASEMAPPING=ascii.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// asciiOnly reports whether s is all ASCII: a member's name always is,
// so a nick that is not names no member.
func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
