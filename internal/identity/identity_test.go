package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreatePersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, created, err := LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	for _, f := range []string{NodeKeyFile, AgeKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v err %v", f, fi.Mode(), err)
		}
	}
	b, created, err := LoadOrCreate(dir)
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v", created, err)
	}
	if a.PeerID != b.PeerID || a.AgeRecipient() != b.AgeRecipient() {
		t.Fatal("identity changed across loads")
	}
}

func TestKeyFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"garbage node key", NodeKeyFile, "hello", 0o600, "not a peerhood node key"},
		{"corrupt node key", NodeKeyFile, "-----BEGIN PEERHOOD NODE KEY-----\nAAAA\n-----END PEERHOOD NODE KEY-----\n", 0o600, "corrupt"},
		{"readable node key", NodeKeyFile, "x", 0o644, "lets others read it"},
		{"garbage age key", AgeKeyFile, "AGE-SECRET-KEY-1NOTVALID", 0o600, "corrupt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file == AgeKeyFile {
				if _, _, err := LoadOrCreate(dir); err != nil {
					t.Fatal(err)
				}
				os.Remove(filepath.Join(dir, AgeKeyFile))
			}
			p := filepath.Join(dir, tc.file)
			if err := os.WriteFile(p, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, tc.mode)
			_, _, err := LoadOrCreate(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("want error containing %q and the path, got %v", tc.want, err)
			}
			after, _ := os.ReadFile(p)
			if string(after) != tc.content {
				t.Fatal("bad key file was overwritten")
			}
		})
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	valid := []string{"a", "alpha", "node-1", "A1", strings.Repeat("x", 63)}
	invalid := []string{"", "-a", "a-", "a.b", "a b", "ä", strings.Repeat("x", 64), "a_b", "a/b"}
	for _, n := range valid {
		if err := ValidateName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range invalid {
		if err := ValidateName(n); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
	folds := map[string]string{
		"MyLaptop.local":        "mylaptop",
		"Dev_Box 2":             "dev-box-2",
		"---":                   "node",
		"":                      "node",
		"ÜberHost":              "berhost",
		strings.Repeat("a", 80): strings.Repeat("a", 63),
	}
	for in, want := range folds {
		got := FoldName(in)
		if got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
		if err := ValidateName(got); err != nil {
			t.Errorf("FoldName(%q) invalid: %v", in, err)
		}
	}
}
