package share

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/workgroup"
)

func TestParseRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Rule
		bad  bool
	}{
		{in: "*", want: Rule{Who: "*", Right: "ro"}},
		{in: "*=rw", want: Rule{Who: "*", Right: "rw"}},
		{in: "Alice=RW", want: Rule{Who: "alice", Right: "rw"}},
		{in: "group:eng=ro", want: Rule{Who: "group:eng", Right: "ro"}},
		{in: "bob=none", want: Rule{Who: "bob", Right: "none"}},
		{in: "bob=write", bad: true},
		{in: "group:=ro", bad: true},
		{in: "bad name=ro", bad: true},
		{in: "=rw", bad: true},
	}
	for _, tc := range tests {
		got, err := ParseRule(tc.in)
		if tc.bad != (err != nil) || (!tc.bad && got != tc.want) {
			t.Errorf("ParseRule(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestRightOf(t *testing.T) {
	t.Parallel()
	alice := workgroup.Member{Name: "alice", Groups: []string{"eng"}}
	bob := workgroup.Member{Name: "bob", Groups: []string{"ops"}}
	carol := workgroup.Member{Name: "carol"}
	tests := []struct {
		name  string
		rules []Rule
		m     workgroup.Member
		want  Right
	}{
		{"default: everyone reads", DefaultRules(), carol, ReadOnly},
		{"no rules: nothing", nil, carol, None},
		{"name beats star", []Rule{{Who: "*", Right: "ro"}, {Who: "alice", Right: "rw"}}, alice, ReadWrite},
		{"name excludes", []Rule{{Who: "*", Right: "rw"}, {Who: "bob", Right: "none"}}, bob, None},
		{"group grants", []Rule{{Who: "group:eng", Right: "rw"}}, alice, ReadWrite},
		{"group case-insensitive", []Rule{{Who: "group:ENG", Right: "ro"}}, alice, ReadOnly},
		{"other group: nothing", []Rule{{Who: "group:eng", Right: "rw"}}, bob, None},
		{"group beats star", []Rule{{Who: "*", Right: "rw"}, {Who: "group:ops", Right: "ro"}}, bob, ReadOnly},
		{"group none excludes over star", []Rule{{Who: "*", Right: "ro"}, {Who: "group:ops", Right: "none"}}, bob, None},
		{"name beats group", []Rule{{Who: "group:eng", Right: "none"}, {Who: "alice", Right: "ro"}}, alice, ReadOnly},
		{"name match is case-insensitive", []Rule{{Who: "ALICE", Right: "rw"}}, alice, ReadWrite},
	}
	for _, tc := range tests {
		if got := RightOf(tc.rules, tc.m); got != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, got, tc.want)
		}
	}
}

// A read-only member reads but cannot change anything; an excluded
// member sees nothing of the share; a non-member gets nothing at all.
func TestAccessEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "ro"}, Rule{Who: "writer", Right: "rw"}, Rule{Who: "mallory", Right: "none"})
	e.write("doc.txt", []byte("content"))
	ro := e.client("reader")
	rw := e.client("writer")
	excluded := e.client("mallory")
	stranger := e.client("")

	if l, err := ro.Shares(e.ctx); err != nil || len(l) != 1 || l[0].Right != ReadOnly {
		t.Fatalf("reader shares: %+v %v", l, err)
	}
	if l, err := rw.Shares(e.ctx); err != nil || len(l) != 1 || l[0].Right != ReadWrite {
		t.Fatalf("writer shares: %+v %v", l, err)
	}
	if l, err := excluded.Shares(e.ctx); err != nil || len(l) != 0 {
		t.Fatalf("excluded member sees shares: %+v %v", l, err)
	}
	if p := make([]byte, 7); true {
		if n, err := ro.ReadAt(e.ctx, "docs", "doc.txt", p, 0); err != nil || n != 7 {
			t.Fatalf("reader cannot read: %v", err)
		}
	}
	writes := map[string]func(*Client) error{
		"put": func(c *Client) error {
			_, err := c.Put(e.ctx, "docs", "new.txt", bytes.NewReader([]byte("x")), 1, time.Time{})
			return err
		},
		"put over": func(c *Client) error {
			_, err := c.Put(e.ctx, "docs", "doc.txt", bytes.NewReader([]byte("x")), 1, time.Time{})
			return err
		},
		"mkdir":  func(c *Client) error { return c.Mkdir(e.ctx, "docs", "d") },
		"remove": func(c *Client) error { return c.Remove(e.ctx, "docs", "doc.txt", false) },
		"rename": func(c *Client) error { return c.Rename(e.ctx, "docs", "doc.txt", "moved.txt") },
	}
	for name, w := range writes {
		if err := w(ro); !errors.Is(err, ErrForbidden) {
			t.Errorf("reader %s: want permission error, got %v", name, err)
		}
		if err := w(excluded); !errors.Is(err, ErrNotFound) {
			t.Errorf("excluded %s: want not found, got %v", name, err)
		}
		if err := w(stranger); err == nil {
			t.Errorf("non-member %s accepted", name)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(e.root, "doc.txt")); string(b) != "content" {
		t.Fatalf("doc.txt changed to %q", b)
	}
	if es, _ := os.ReadDir(e.root); len(es) != 1 {
		t.Fatalf("share folder has %d entries, want 1", len(es))
	}
	for _, c := range []*Client{excluded, stranger} {
		if _, err := c.OpenRead(e.ctx, "docs", "doc.txt", 0, 0); err == nil {
			t.Fatalf("read by excluded or non-member accepted")
		}
		if _, err := c.ReadDir(e.ctx, "docs", "."); err == nil {
			t.Fatalf("readdir by excluded or non-member accepted")
		}
	}
	if _, err := stranger.Shares(e.ctx); err == nil {
		t.Fatalf("non-member got a share list")
	}
	if err := rw.Mkdir(e.ctx, "docs", "made"); err != nil {
		t.Fatalf("writer mkdir: %v", err)
	}
	// Revoked: a former writer gets nothing.
	e.dir.Remove(rw.h.ID())
	if err := rw.Mkdir(e.ctx, "docs", "again"); err == nil {
		t.Fatalf("revoked member still writes")
	}
}

func TestConfigs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cs := e.svc.Configs()
	if _, err := cs.Add(e.ctx, Config{Name: "DOCS", Workgroup: testWG, Path: e.root}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate (case-insensitive) added: %v", err)
	}
	if _, err := cs.Add(e.ctx, Config{Name: "x", Workgroup: testWG, Path: filepath.Join(e.base, "nope")}); err == nil {
		t.Fatal("missing folder accepted")
	}
	if _, err := cs.Add(e.ctx, Config{Name: "bad name", Workgroup: testWG, Path: e.root}); err == nil {
		t.Fatal("bad name accepted")
	}
	got, err := cs.Get(e.ctx, "Docs")
	if err != nil || len(got.Rules) != 1 || got.Rules[0] != (Rule{Who: "*", Right: "ro"}) {
		t.Fatalf("default rules: %+v %v", got, err)
	}
	if err := cs.SetRules(e.ctx, "docs", []Rule{{Who: "alice", Right: "rw"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := cs.Get(e.ctx, "docs"); len(got.Rules) != 1 || got.Rules[0].Who != "alice" {
		t.Fatalf("rules not set: %+v", got)
	}
	if err := cs.Remove(e.ctx, "docs"); err != nil {
		t.Fatal(err)
	}
	if err := cs.Remove(e.ctx, "docs"); !errors.Is(err, ErrNoShare) {
		t.Fatalf("second remove: %v", err)
	}
	if l, _ := cs.List(e.ctx); len(l) != 0 {
		t.Fatalf("list after remove: %+v", l)
	}
}

func TestSharesOf(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "ro"}, Rule{Who: "alice", Right: "rw"})
	c := e.client("alice")
	alice, _ := e.dir.ByName(testWG, "alice")
	// Seen from alice's node: what srv offers alice.
	aliceSvc := New(e.db, c.h, e.dir, nil)
	srv, _ := e.dir.ByName(testWG, "srv")
	got, err := aliceSvc.SharesOf(e.ctx, srv)
	if err != nil || len(got) != 1 || got[0].Right != ReadWrite {
		t.Fatalf("SharesOf(srv) from alice: %+v %v", got, err)
	}
	vis, err := e.svc.VisibleShares(e.ctx, alice)
	if err != nil || len(vis) != 1 || vis[0].Name != "docs" || vis[0].Right != ReadWrite {
		t.Fatalf("VisibleShares(alice): %+v %v", vis, err)
	}
	own, err := e.svc.SharesOf(e.ctx, srv)
	if err != nil || len(own) != 1 {
		t.Fatalf("own shares: %+v %v", own, err)
	}
	other := member("zed", srv.PeerID)
	other.Workgroup = "other-wg"
	if vis, _ := e.svc.VisibleShares(e.ctx, other); len(vis) != 0 {
		t.Fatalf("share leaks into another workgroup: %+v", vis)
	}
}

// Issue 16 item 7: a name rule matches neither a member shown with a
// name conflict (a second "gina" admitted by an admin with a stale
// roster) nor a later holder of the name (the name freed by a removal
// and taken by a new joiner): rules are bound to the peer ID that held
// the name when they were stored.
func TestNameRulesBoundToPeer(t *testing.T) {
	real := workgroup.Member{Workgroup: "wg", Name: "gina", PeerID: peer.ID("real-gina")}
	impostor := workgroup.Member{Workgroup: "wg", Name: "gina", PeerID: peer.ID("impostor"), NameConflict: true}
	joiner := workgroup.Member{Workgroup: "wg", Name: "gina", PeerID: peer.ID("new-joiner")}
	dir := workgroup.NewStaticDirectory(real.PeerID, real)
	rules := BindRules(dir, "wg", []Rule{{Who: "*", Right: "ro"}, {Who: "gina", Right: "rw"}, {Who: "group:ops", Right: "rw"}})
	if rules[1].Peer != real.PeerID.String() || rules[0].Peer != "" || rules[2].Peer != "" {
		t.Fatalf("bound rules %+v", rules)
	}
	tests := []struct {
		name string
		m    workgroup.Member
		want Right
	}{
		{"the member the rule names", real, ReadWrite},
		{"a second gina (name conflict)", impostor, ReadOnly},
		{"a new gina after the first was removed", joiner, ReadOnly},
	}
	for _, tc := range tests {
		if got := RightOf(rules, tc.m); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
