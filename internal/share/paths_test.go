package share

import (
	"errors"
	"testing"
)

// CleanPath is the one set of name rules for the files protocol, the CLI
// and WebDAV (davfs.CheckName delegates to CheckName).
func TestCleanPathNameRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "", want: "."},
		{in: "/", want: "."},
		{in: "a/b", want: "a/b"},
		{in: "/a//b/", want: "a/b"},
		{in: "é/ü.txt", want: "é/ü.txt"},
		{in: "../x", bad: true},
		{in: "a/../../b", bad: true},
		{in: `a\b`, bad: true},
		{in: "C:/x", bad: true},
		{in: "CON", bad: true},
		{in: "dir/lpt1.txt", bad: true},
		{in: "a\x00b", bad: true},
		{in: "a\x1fb", bad: true},
		{in: "a\u0085b", bad: true},          // C1 control (NEL)
		{in: "evil\u202egnp.exe", bad: true}, // right-to-left override
		{in: "zero\u200bwidth", bad: true},   // zero-width space
		{in: " lead", bad: true},
		{in: "trail.", bad: true},
		{in: "trail ", bad: true},
		{in: "bad\xffutf8", bad: true},
		{in: ".peerhood-part-x", bad: true},
	}
	for _, tc := range tests {
		got, err := CleanPath(tc.in)
		if tc.bad {
			if !errors.Is(err, ErrBadPath) {
				t.Errorf("CleanPath(%q) = %q, %v; want ErrBadPath", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
