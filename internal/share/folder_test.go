package share

import (
	"path"
	"path/filepath"
	"testing"
)

// A copy onto a folder that exists keeps the source's name; onto
// anything else it takes the target's; a share's root (no name) never
// adds one. get, get -r and put share this rule.
func TestIntoFolder(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		target string
		isDir  bool
		source string
		join   func(...string) string
		want   string
	}{
		{"local folder", dir, isLocalDir(dir), "report.pdf", filepath.Join, filepath.Join(dir, "report.pdf")},
		{"local new file", filepath.Join(dir, "new.pdf"), isLocalDir(filepath.Join(dir, "new.pdf")), "report.pdf", filepath.Join, filepath.Join(dir, "new.pdf")},
		{"share root into a local folder", dir, true, "", filepath.Join, dir},
		{"remote folder", "inbox", true, "notes.txt", path.Join, "inbox/notes.txt"},
		{"remote share root", ".", true, "notes.txt", path.Join, "notes.txt"},
		{"remote file", "inbox/renamed.txt", false, "notes.txt", path.Join, "inbox/renamed.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := intoFolder(tc.target, tc.isDir, tc.source, tc.join); got != tc.want {
				t.Fatalf("intoFolder(%q, %v, %q) = %q, want %q", tc.target, tc.isDir, tc.source, got, tc.want)
			}
		})
	}
}
