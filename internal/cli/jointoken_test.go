package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJoinToken: the token comes from the argument, standard input ('-')
// or a file, never needing argv; ambiguous or empty input is an error.
func TestJoinToken(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "invite.txt")
	if err := os.WriteFile(file, []byte("  phinv1-FROMFILE \nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, stdin, file string
		args              []string
		want, wantErr     string
	}{
		{name: "argument", args: []string{"phinv1-ARG"}, want: "phinv1-ARG"},
		{name: "stdin dash", args: []string{"-"}, stdin: "phinv1-STDIN\n", want: "phinv1-STDIN"},
		{name: "stdin without newline", args: []string{"-"}, stdin: "phinv1-STDIN", want: "phinv1-STDIN"},
		{name: "stdin not a terminal", stdin: "phinv1-PIPE\n", want: "phinv1-PIPE"},
		{name: "token file", file: file, want: "phinv1-FROMFILE"},
		{name: "file and argument", file: file, args: []string{"x"}, wantErr: "give the token once"},
		{name: "missing file", file: file + ".nope", wantErr: "token file"},
		{name: "empty stdin", args: []string{"-"}, stdin: "\n", wantErr: "no invite token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &App{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, In: strings.NewReader(tc.stdin)}
			got, err := a.joinToken(tc.args, tc.file)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
