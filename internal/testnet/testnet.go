package testnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/daemon"
	"github.com/peerhood/peerhood/internal/testutil"
)

// Fast are the timers of a test node: retries, mailbox fetches and
// heartbeats in (tens of) milliseconds instead of seconds.
var Fast = daemon.Timings{
	SpoolRetryBase:     100 * time.Millisecond,
	SpoolRetryCap:      time.Second,
	SpoolTick:          50 * time.Millisecond,
	SpoolFetchInterval: 300 * time.Millisecond,
	PresenceInterval:   500 * time.Millisecond,
	ChatSync:           3 * time.Second,
}

// Converge bounds every wait of the helpers: generous, as the suite runs
// under -race on two shared cores.
const Converge = 60 * time.Second

// quietLog is the nodes' log: warnings and errors, or everything with
// PEERHOOD_TESTNET_LOG=debug (to chase a flake).
var quietLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: testLogLevel()}))

func testLogLevel() slog.Level {
	if os.Getenv("PEERHOOD_TESTNET_LOG") == "debug" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// Net is a set of nodes started by one test.
type Net struct {
	t     testing.TB
	Nodes []*Node
}

// Node is one whole node. The embedded *daemon.Node is nil while the node
// is stopped.
type Node struct {
	*daemon.Node
	Name   string
	Home   string
	Client *api.Client
	t      testing.TB
}

// New starts one node per name, each in a fresh state folder. They are
// closed when the test ends.
func New(t testing.TB, names ...string) *Net {
	t.Helper()
	n := &Net{t: t}
	for _, name := range names {
		home, err := os.MkdirTemp("", "phn-") // short: the control socket's path is limited
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(home) })
		n.Add(name, home)
	}
	return n
}

// Add starts one more node called name in the state folder home (made by
// the caller, with mode 0700: a small file system mounted there, say),
// closed when the test ends. Its path must be short (the control socket's
// path is limited).
func (n *Net) Add(name, home string) *Node {
	n.t.Helper()
	nd := &Node{Name: name, Home: home, Client: api.NewClient(home), t: n.t}
	n.t.Cleanup(nd.Stop)
	nd.Start()
	n.Nodes = append(n.Nodes, nd)
	return nd
}

// Node returns the node called name.
func (n *Net) Node(name string) *Node {
	for _, nd := range n.Nodes {
		if nd.Name == name {
			return nd
		}
	}
	n.t.Fatalf("testnet: no node %q", name)
	return nil
}

// Start starts the node (again) on its state folder: same identity,
// memberships and queues; new loopback ports.
func (nd *Node) Start() {
	nd.t.Helper()
	dn, err := daemon.Start(context.Background(), daemon.Options{
		Home: nd.Home, Name: nd.Name, NoMDNS: true, Log: quietLog.With("node", nd.Name), Timings: Fast,
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"},
	})
	if err != nil {
		nd.t.Fatalf("start node %s: %v", nd.Name, err)
	}
	nd.Node = dn
}

// Stop closes the node as `peerhood down` would; a stopped node stays
// stopped. A component slower to stop than its share of
// daemon.StopLimit is waited for (up to Converge) and logged, not
// failed: the limit is a single node's, while here a test's nodes and
// those of the tests running beside it stop at once in one process (under
// load, each component's ordinary stop work, the database's last
// checkpoint included, adds up past 4 s). One that never stops fails.
func (nd *Node) Stop() {
	if nd.Node == nil {
		return
	}
	t0 := time.Now()
	err := nd.Node.Close()
	if errors.Is(err, daemon.ErrSlowStop) {
		ctx, cancel := context.WithTimeout(context.Background(), Converge)
		werr := nd.Node.WaitStopped(ctx)
		cancel()
		if werr == nil {
			nd.t.Logf("stop node %s: took %s (%v)", nd.Name, time.Since(t0).Round(time.Millisecond), err)
			err = withoutSlowStops(err)
		} else {
			err = fmt.Errorf("%w; still running after %s", err, Converge)
		}
	}
	if err != nil {
		nd.t.Errorf("stop node %s: %v", nd.Name, err)
	}
	nd.Node = nil
}

// withoutSlowStops is err (from Close) without its daemon.ErrSlowStop
// parts.
func withoutSlowStops(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if errors.Is(err, daemon.ErrSlowStop) {
			return nil
		}
		return err
	}
	var rest []error
	for _, e := range j.Unwrap() {
		if !errors.Is(e, daemon.ErrSlowStop) {
			rest = append(rest, e)
		}
	}
	return errors.Join(rest...)
}

// Do calls the node's control API: method, path (with its query), a
// request body (nil: none) and where to decode the reply (nil: ignore).
func (nd *Node) Do(method, path string, req, resp any) error {
	ctx, cancel := context.WithTimeout(context.Background(), Converge)
	defer cancel()
	if err := nd.Client.Do(ctx, method, path, req, resp); err != nil {
		return fmt.Errorf("%s: %s %s: %w", nd.Name, method, path, err)
	}
	return nil
}

// Must is Do failing the test on error.
func (nd *Node) Must(method, path string, req, resp any) {
	nd.t.Helper()
	if err := nd.Do(method, path, req, resp); err != nil {
		nd.t.Fatal(err)
	}
}

// Addr is the node's loopback TCP multiaddr, /p2p/ID included.
func (nd *Node) Addr() string {
	nd.t.Helper()
	var st struct {
		Addresses []string `json:"addresses"`
	}
	nd.Must(http.MethodGet, "/v1/status", nil, &st)
	for _, a := range st.Addresses {
		if strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") {
			return a
		}
	}
	nd.t.Fatalf("node %s has no loopback TCP address: %v", nd.Name, st.Addresses)
	return ""
}

// Connect dials other from nd (POST /v1/connect).
func (nd *Node) Connect(other *Node) {
	nd.t.Helper()
	nd.Must(http.MethodPost, "/v1/connect", map[string]string{"addr": other.Addr()}, nil)
}

// Workgroup makes the first node create workgroup wg and every other node
// join it with an invite of its own (the mailbox role for the nodes named
// in mailboxes), then waits until every node lists every member.
func (n *Net) Workgroup(wg string, mailboxes ...string) {
	n.t.Helper()
	admin := n.Nodes[0]
	admin.Must(http.MethodPost, "/v1/workgroups", map[string]string{"name": wg}, nil)
	for _, nd := range n.Nodes[1:] {
		var inv struct {
			Token string `json:"token"`
		}
		admin.Must(http.MethodPost, "/v1/invites", map[string]any{"workgroup": wg, "mailbox": slices.Contains(mailboxes, nd.Name)}, &inv)
		nd.Must(http.MethodPost, "/v1/join", map[string]string{"token": inv.Token, "name": nd.Name}, nil)
	}
	n.WaitMembers(wg)
}

// WaitMembers waits until every running node lists every node as a member
// of wg.
func (n *Net) WaitMembers(wg string) {
	n.t.Helper()
	testutil.Eventually(n.t, Converge, func() error {
		for _, nd := range n.running() {
			var ms []struct {
				Name string `json:"name"`
			}
			if err := nd.Do(http.MethodGet, "/v1/members?workgroup="+url.QueryEscape(wg), nil, &ms); err != nil {
				return err
			}
			if len(ms) != len(n.Nodes) {
				return fmt.Errorf("%s lists %d members of %s, want %d", nd.Name, len(ms), wg, len(n.Nodes))
			}
		}
		return nil
	})
}

// Entry is the part of a browse entry the helpers read.
type Entry struct {
	Name     string `json:"name"`
	Presence string `json:"presence"`
	Link     string `json:"link"`
	Shares   []struct {
		Name string `json:"name"`
	} `json:"shares"`
}

// Browse is nd's browse list of wg.
func (nd *Node) Browse(wg string) ([]Entry, error) {
	var es []Entry
	err := nd.Do(http.MethodGet, "/v1/browse?workgroup="+url.QueryEscape(wg), nil, &es)
	return es, err
}

// WaitOnline waits until every running node sees every other running node
// online (and connected) in its browse list of wg.
func (n *Net) WaitOnline(wg string) {
	n.t.Helper()
	testutil.Eventually(n.t, Converge, func() error {
		for _, nd := range n.running() {
			es, err := nd.Browse(wg)
			if err != nil {
				return err
			}
			for _, o := range n.running() {
				i := slices.IndexFunc(es, func(e Entry) bool { return e.Name == o.Name })
				switch {
				case o == nd:
				case i < 0:
					return fmt.Errorf("%s does not list %s", nd.Name, o.Name)
				case es[i].Presence != "online" || es[i].Link == "":
					return fmt.Errorf("%s sees %s %s (link %q)", nd.Name, o.Name, es[i].Presence, es[i].Link)
				}
			}
		}
		return nil
	})
}

func (n *Net) running() []*Node {
	var out []*Node
	for _, nd := range n.Nodes {
		if nd.Node != nil {
			out = append(out, nd)
		}
	}
	return out
}
