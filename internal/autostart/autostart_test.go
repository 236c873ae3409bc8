package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// render prints a plan as its golden file shows it: the file, then the
// commands.
func render(p Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# file %s (mode %o, utf16 %v)\n%s", p.File.Path, p.File.Mode, p.File.UTF16, p.File.Content)
	for _, part := range []struct {
		name string
		cmds [][]string
	}{{"on", p.On}, {"off", p.Off}, {"status", p.Status}} {
		for _, c := range part.cmds {
			fmt.Fprintf(&b, "# %s: %s\n", part.name, strings.Join(c, " "))
		}
	}
	fmt.Fprintf(&b, "# logs: %s\n", p.Logs)
	return b.String()
}

// TestGolden checks the generated files and commands of every OS against
// testdata/*.golden (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		golden, goos string
		spec         Spec
	}{
		{"systemd-user", "linux", Spec{Exe: "/home/ann/go/bin/peerhood", Home: "/home/ann/.config/peerhood", UserDir: "/home/ann"}},
		{"systemd-system", "linux", Spec{Exe: "/usr/local/bin/peerhood", Home: "/home/ann/.config/peerhood", UserDir: "/home/ann", System: true, User: "ann"}},
		{"systemd-quoted", "linux", Spec{Exe: "/opt/peer hood/peerhood", Home: "/srv/50%$off", UserDir: "/root"}},
		{"launchd", "darwin", Spec{Exe: "/Users/ann/go/bin/peerhood", Home: "/Users/ann/Library/Application Support/peerhood", UserDir: "/Users/ann", UID: 501}},
		{"windows", "windows", Spec{Exe: `C:\Users\ann\go\bin\peerhood.exe`, Home: `C:\Users\ann\AppData\Roaming\peerhood`, UserDir: `C:\Users\ann`, LocalAppData: `C:\Users\ann\AppData\Local`}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			p, err := Make(tc.goos, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			got := render(p)
			file := filepath.Join("testdata", tc.golden+".golden")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", tc.golden, file, got)
			}
		})
	}
}

func TestMakeRefuses(t *testing.T) {
	for _, tc := range []struct {
		goos string
		spec Spec
		want string
	}{
		{"linux", Spec{Exe: "peerhood", Home: "/h"}, "absolute"},
		{"windows", Spec{Exe: `peerhood.exe`, Home: `C:\h`}, "absolute"},
		{"darwin", Spec{Exe: "/p", Home: "/h", System: true}, "--system"},
		{"plan9", Spec{Exe: "/p", Home: "/h"}, "not supported"},
	} {
		if _, err := Make(tc.goos, tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Make(%s, %+v) = %v; want an error with %q", tc.goos, tc.spec, err, tc.want)
		}
	}
	if _, err := Make("plan9", Spec{Exe: "/p", Home: "/h"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("plan9: %v is not ErrUnsupported", err)
	}
}

// TestSystemdAnalyzeVerify runs systemd's own checker over the user and
// the system unit (with an ExecStart that exists: this test's binary).
func TestSystemdAnalyzeVerify(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd): the unit is checked by TestGolden only")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, system := range []bool{false, true} {
		dir := t.TempDir()
		spec := Spec{Exe: exe, Home: filepath.Join(dir, "state dir"), UserDir: dir, System: system, User: "root"}
		unit := filepath.Join(dir, Name+".service")
		if err := os.WriteFile(unit, []byte(SystemdUnit(spec)), 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"verify", "--man=no", unit}
		if !system {
			args = []string{"--user", "verify", "--man=no", unit}
		}
		var out bytes.Buffer
		cmd := exec.Command("systemd-analyze", args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=warning", "XDG_RUNTIME_DIR="+dir)
		err := cmd.Run()
		// Lines about other units on this machine are not ours.
		var ours []string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, Name+".service") {
				ours = append(ours, l)
			}
		}
		if err != nil || len(ours) > 0 {
			t.Errorf("systemd-analyze %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
}

// TestXMLWellFormed: paths with XML's special characters still give a
// well-formed plist and task, which read back to the same command line.
func TestXMLWellFormed(t *testing.T) {
	odd := `a&b <c> "d"`
	for _, tc := range []struct {
		goos string
		spec Spec
	}{
		{"darwin", Spec{Exe: "/Users/" + odd + "/peerhood", Home: "/Users/x/" + odd, UserDir: "/Users/" + odd, UID: 501}},
		// Windows paths hold no < > or ", but & and spaces.
		{"windows", Spec{Exe: `C:\a&b c\peerhood.exe`, Home: `C:\a&b c`, LocalAppData: `C:\L`}},
	} {
		p, err := Make(tc.goos, tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(p.File.Content))
		d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
		d.Strict = false // the plist's DOCTYPE
		var text strings.Builder
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not well-formed: %v\n%s", tc.goos, err, p.File.Content)
			}
			if cd, ok := tok.(xml.CharData); ok {
				text.Write(cd)
			}
		}
		if !strings.Contains(text.String(), tc.spec.Exe) {
			t.Errorf("%s: the binary %q is not in the file's text:\n%s", tc.goos, tc.spec.Exe, text.String())
		}
	}
}
