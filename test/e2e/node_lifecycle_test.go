package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/store"
)

// SIGINT and SIGTERM stop a node that holds a peer connection within 5 s,
// with exit status 0, its socket removed and its folder unlocked.
func TestSignalStopsWithin5s(t *testing.T) {
	t.Parallel()
	peer := StartNode(t, "peer")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			n := StartNode(t, "stopping")
			n.MustRun("connect", peer.TCPAddr())
			t0 := time.Now()
			if err := n.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-n.Exited():
			case <-time.After(5 * time.Second):
				t.Fatalf("still running 5s after %v:\n%s", sig, n.Output())
			}
			took := time.Since(t0)
			if code := n.cmd.ProcessState.ExitCode(); code != 0 {
				t.Fatalf("exit status %d after %v:\n%s", code, sig, n.Output())
			}
			if !strings.Contains(n.Output(), "stopped") {
				t.Errorf("no 'stopped' log:\n%s", n.Output())
			}
			if _, err := os.Stat(filepath.Join(n.Home, api.SocketFile)); !os.IsNotExist(err) {
				t.Errorf("control socket left behind: %v", err)
			}
			t.Logf("%v: stopped in %s", sig, took.Round(time.Millisecond))
			n.cmd = nil
			n.Start() // the folder is free again
		})
	}
}

// `up` prints one short block on stdout: name, peer ID, each listen
// address, the control socket, the web UI's address.
func TestUpPrintsOneBlock(t *testing.T) {
	t.Parallel()
	n := StartNode(t, "alpha")
	s := n.Status()
	n.Stop()
	var block []string
	for _, l := range strings.Split(n.Output(), "\n") {
		if l != "" && !strings.HasPrefix(l, "time=") { // logs go to stderr, here mixed in
			block = append(block, l)
		}
	}
	want := []*regexp.Regexp{regexp.MustCompile(`^peerhood node "alpha" is up$`), regexp.MustCompile(`^  peer ID  ` + s.PeerID + `$`)}
	for range s.Addresses {
		want = append(want, regexp.MustCompile(`^  listen   /ip4/127\.0\.0\.1/(tcp|udp)/\d+`))
	}
	want = append(want, regexp.MustCompile(`^  control  `+regexp.QuoteMeta(filepath.Join(n.Home, api.SocketFile))+`$`),
		regexp.MustCompile(`^  web UI   http://127\.0\.0\.1:\d+/ \(log in: peerhood open\)$`))
	if len(block) != len(want) {
		t.Fatalf("start-up block has %d lines, want %d:\n%s", len(block), len(want), strings.Join(block, "\n"))
	}
	for i, re := range want {
		if !re.MatchString(block[i]) {
			t.Errorf("line %d %q does not match %s", i, block[i], re)
		}
	}
}

// A SIGKILLed node restarts on its folder with the same peer ID, name,
// keys and database content.
func TestKillRestartKeepsState(t *testing.T) {
	t.Parallel()
	a := StartNode(t, "alpha")
	b := StartNode(t, "bravo")
	before := a.Status()
	keys := map[string]string{}
	for _, f := range []string{"node.key", "age.key"} {
		keys[f] = string(fileBytes(t, filepath.Join(a.Home, f)))
	}
	b.MustRun("connect", a.TCPAddr())
	a.Kill()
	if _, err := os.Stat(filepath.Join(a.Home, api.SocketFile)); err != nil {
		t.Fatalf("expected the killed node's stale socket: %v", err)
	}
	a.Name = "" // keep the stored name
	a.Start()
	after := a.Status()
	if after.PeerID != before.PeerID || after.Name != "alpha" {
		t.Fatalf("after SIGKILL and restart: %+v, was %+v", after, before)
	}
	// It can be reached again under the same identity.
	b.MustRun("connect", a.TCPAddr())
	Eventually(t, 10*time.Second, func() error {
		if !hasPeer(a.Status(), b.Status().PeerID) {
			return errNotYet("alpha does not list bravo after restart")
		}
		return nil
	})
	a.Stop()
	for f, k := range keys {
		if string(fileBytes(t, filepath.Join(a.Home, f))) != k {
			t.Errorf("%s changed across the restart", f)
		}
	}
	db, err := store.Open(context.Background(), filepath.Join(a.Home, "state.db"))
	if err != nil {
		t.Fatalf("database after kill and restart: %v", err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	if name, err := db.Setting(context.Background(), "name"); err != nil || name != "alpha" {
		t.Fatalf("stored name %q %v", name, err)
	}
}

type errNotYet string

func (e errNotYet) Error() string { return string(e) }

// --json prints exactly what the control API returns.
func TestJSONIsTheAPIs(t *testing.T) {
	t.Parallel()
	a := StartNode(t, "alpha")
	b := StartNode(t, "bravo")
	connectOut := b.MustRun("connect", a.TCPAddr(), "--json")
	var cr apitypes.ConnectResult
	if err := json.Unmarshal([]byte(connectOut), &cr); err != nil || cr.PeerID != a.Status().PeerID {
		t.Fatalf("connect --json: %q %v", connectOut, err)
	}
	c := api.NewClient(b.Home)
	var st apitypes.Status
	if err := c.Do(context.Background(), http.MethodGet, "/v1/status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Peers) != 1 || st.Peers[0].Link != "direct" || st.Peers[0].RTT <= 0 || st.Peers[0].Direction != "outbound" {
		t.Fatalf("status peers after connect: %+v (want one direct outbound peer with a round-trip time)", st.Peers)
	}
	tests := []struct {
		cmd    []string
		path   string
		ignore []string // fields that change between two calls
	}{
		{[]string{"status"}, "/v1/status", []string{"uptime_ns", "rtt_ns"}},
		{[]string{"peers"}, "/v1/peers", []string{"rtt_ns"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			cli := b.MustRun(append(tc.cmd, "--json")...)
			raw, err := c.DoRaw(context.Background(), http.MethodGet, tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal([]byte(cli), &got); err != nil {
				t.Fatalf("CLI output is not JSON: %v\n%s", err, cli)
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			got, want = without(got, tc.ignore), without(want, tc.ignore)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%v --json differs from GET %s:\n%s\n%s", tc.cmd, tc.path, cli, raw)
			}
		})
	}
}

// without drops the named keys from every object in v.
func without(v any, keys []string) any {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range keys {
			delete(x, k)
		}
		for k, e := range x {
			x[k] = without(e, keys)
		}
	case []any:
		for i, e := range x {
			x[i] = without(e, keys)
		}
	}
	return v
}

func TestVersionAndCompletion(t *testing.T) {
	t.Parallel()
	n := NewNode(t, "x")
	if out := n.MustRun("version"); !strings.HasPrefix(out, "peerhood ") {
		t.Fatalf("version: %q", out)
	}
	var v map[string]string
	n.JSON(&v, "version")
	if v["cli"] == "" || v["node"] != "" {
		t.Fatalf("version --json without a node: %v", v)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out := n.MustRun("completion", shell)
		if len(out) < 500 || !strings.Contains(out, "peerhood") {
			t.Errorf("completion %s: %d bytes", shell, len(out))
		}
	}
	n.Start()
	n.JSON(&v, "version")
	if v["node"] == "" {
		t.Fatalf("version --json with a node: %v", v)
	}
}

// Every command, including those added by other parts of peerhood, has
// --help with a description and usage; the node's own commands have
// examples too.
func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	n := NewNode(t, "x")
	root := n.MustRun("--help")
	i := strings.Index(root, "Available Commands:")
	if i < 0 {
		t.Fatalf("root help:\n%s", root)
	}
	var cmds []string
	for _, l := range strings.Split(root[i:], "\n")[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			break
		}
		if len(f) < 2 {
			t.Errorf("command %q has no description", f[0])
		}
		cmds = append(cmds, f[0])
	}
	withExamples := map[string]bool{"up": true, "status": true, "peers": true, "connect": true, "version": true}
	for name := range withExamples {
		if !strings.Contains(" "+strings.Join(cmds, " ")+" ", " "+name+" ") {
			t.Errorf("root help does not list %s", name)
		}
	}
	for _, c := range cmds {
		out, err := n.Run(c, "--help")
		if err != nil {
			t.Errorf("%s --help: %v", c, err)
			continue
		}
		if !strings.Contains(out, "Usage:") || !strings.Contains(out, "peerhood "+c) || !strings.Contains(out, "--home") {
			t.Errorf("%s --help lacks usage or global flags:\n%s", c, out)
		}
		if withExamples[c] && !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help has no examples", c)
		}
	}
}
