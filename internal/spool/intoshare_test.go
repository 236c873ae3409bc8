package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// withShare gives n a real share service with share "docs" over folder
// dir: alice may write, carol may only read.
func withShare(t *testing.T, n *tnode, dir string) {
	n.mutate = func(cfg *Config) {
		svc := share.New(cfg.DB, cfg.Host.Host, n.dir, quietLog)
		_, err := svc.Configs().Add(context.Background(), share.Config{Name: "docs", Workgroup: testWG, Path: dir,
			Rules: []share.Rule{{Who: "*", Right: "ro"}, {Who: "alice", Right: "rw"}}})
		if err != nil && !strings.Contains(err.Error(), "already exists") { // kept across a restart
			t.Fatal(err)
		}
		cfg.Shares = svc
	}
}

func TestCopyIntoShare(t *testing.T) {
	t.Parallel()
	alice, bravo, carol := newTNode(t, "alice"), newTNode(t, "bravo"), newTNode(t, "carol")
	group(alice, bravo, carol)
	docs := t.TempDir()
	withShare(t, bravo, docs)
	for _, n := range []*tnode{alice, bravo, carol} {
		n.start()
	}
	connect(t, alice, bravo)
	connect(t, carol, bravo)
	ctx := context.Background()
	src := t.TempDir()
	big := make([]byte, 2<<20+5) // spooled, not inline
	rand.Read(big)
	writeFile(t, src, "tree/a.bin", big)
	writeFile(t, src, "tree/sub/b.txt", []byte("bee"))
	one := writeFile(t, src, "one.txt", []byte("one"))

	// A writer's copy lands in the share, under the named folder.
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bravo:docs/in/box"}, Kind: KindFile, Paths: []string{filepath.Join(src, "tree")}, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	if got, _ := os.ReadFile(filepath.Join(docs, "in", "box", "tree", "a.bin")); !bytes.Equal(got, big) {
		t.Fatal("a.bin in the share differs from the sent file")
	}
	if got, _ := os.ReadFile(filepath.Join(docs, "in", "box", "tree", "sub", "b.txt")); string(got) != "bee" {
		t.Fatalf("b.txt = %q", got)
	}
	// The item is recorded as accepted; no partial or spool file is left.
	it, err := bravo.svc.Item(ctx, jobs[0].ID, false)
	if err != nil || it.State != ItemAccepted {
		t.Fatalf("bravo's item: %+v %v", it, err)
	}
	left, _ := filepath.Glob(filepath.Join(bravo.home, "spool", "[0-9a-f]*"))
	parts, _ := filepath.Glob(filepath.Join(docs, "in", "box", "tree", ".*"))
	if len(left)+len(parts) != 0 {
		t.Fatalf("left behind: spool %v, share %v", left, parts)
	}
	// To the share's root.
	jobs, err = alice.svc.Send(ctx, SendRequest{To: []string{"bravo:docs"}, Kind: KindFile, Paths: []string{one}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	if got, _ := os.ReadFile(filepath.Join(docs, "one.txt")); string(got) != "one" {
		t.Fatalf("one.txt = %q", got)
	}

	// The same name again with --no-clobber: refused ("exists", not
	// "permission denied"), the share's file is kept.
	os.WriteFile(one, []byte("uno"), 0o644)
	jobs, err = alice.svc.Send(ctx, SendRequest{To: []string{"bravo:docs"}, Kind: KindFile, Paths: []string{one}, NoClobber: true})
	if err != nil {
		t.Fatal(err)
	}
	j := waitState(t, alice, jobs[0].ID, StateFailed)
	if !strings.Contains(j.Error, "docs/one.txt exists") || strings.Contains(j.Error, "permission denied") {
		t.Fatalf("failure reason %q", j.Error)
	}
	if got, _ := os.ReadFile(filepath.Join(docs, "one.txt")); string(got) != "one" {
		t.Fatalf("one.txt = %q after a refused copy", got)
	}
	// Without it (the default, as get and put): replaced.
	jobs, err = alice.svc.Send(ctx, SendRequest{To: []string{"bravo:docs"}, Kind: KindFile, Paths: []string{one}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	if got, _ := os.ReadFile(filepath.Join(docs, "one.txt")); string(got) != "uno" {
		t.Fatalf("one.txt = %q, want it replaced", got)
	}
	var intents int
	bravo.db.QueryRow(`SELECT count(*) FROM spool_share_intents`).Scan(&intents)
	if intents != 0 {
		t.Fatalf("%d share-write intents kept after writes that were done or refused", intents)
	}

	// A read-only member's copy fails visibly with the reason; nothing written.
	jobs, err = carol.svc.Send(ctx, SendRequest{To: []string{"bravo:docs/c"}, Kind: KindFile, Paths: []string{one}})
	if err != nil {
		t.Fatal(err)
	}
	j = waitState(t, carol, jobs[0].ID, StateFailed)
	if !strings.Contains(j.Error, "bravo's share docs is read-only for you") {
		t.Fatalf("failure reason %q", j.Error)
	}
	if _, err := os.Stat(filepath.Join(docs, "c")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("carol's copy left %v", err)
	}
	// An unknown share is refused the same way.
	jobs, err = alice.svc.Send(ctx, SendRequest{To: []string{"bravo:nosuch"}, Kind: KindFile, Paths: []string{one}})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitState(t, alice, jobs[0].ID, StateFailed); !strings.Contains(j.Error, `no share "nosuch"`) {
		t.Fatalf("failure reason %q", j.Error)
	}
}

func TestCopyIntoShareBadPath(t *testing.T) {
	t.Parallel()
	alice, bravo := newTNode(t, "alice"), newTNode(t, "bravo")
	group(alice, bravo)
	docs := t.TempDir()
	withShare(t, bravo, docs)
	alice.mutate = func(cfg *Config) {
		cfg.PreflightShare = func(_ context.Context, m workgroup.Member, name string) error {
			if name == "pub" {
				return errors.New(m.Name + "'s share pub is read-only for you")
			}
			return nil
		}
	}
	alice.start()
	bravo.start()
	connect(t, alice, bravo)
	ctx := context.Background()
	src := t.TempDir()
	one := writeFile(t, src, "one.txt", []byte("one"))

	// The send-time check refuses before anything is queued.
	if _, err := alice.svc.Send(ctx, SendRequest{To: []string{"bravo:pub/x"}, Kind: KindFile, Paths: []string{one}}); !errors.Is(err, ErrInvalid) ||
		!strings.Contains(err.Error(), "bravo's share pub is read-only for you") {
		t.Fatalf("send into a read-only share: %v", err)
	}
	if q, _ := alice.svc.Queue(ctx); len(q) != 0 {
		t.Fatalf("refused send left jobs: %+v", q)
	}

	// Refused at send time.
	for _, to := range []string{"bravo:docs/../x", "bravo:docs/a/../../x", "bravo:", "bravo:d:ocs", "bravo:docs/a\\b"} {
		if _, err := alice.svc.Send(ctx, SendRequest{To: []string{to}, Kind: KindFile, Paths: []string{one}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("send to %q: %v", to, err)
		}
	}
	if _, err := alice.svc.Send(ctx, SendRequest{To: []string{"bravo:docs"}, Kind: KindMail, Subject: "s"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("mail into a share: %v", err)
	}
	// A sender that skips the check is refused by the recipient.
	files, err := collectFiles([]string{one}, false)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := alice.dir.ByName(testWG, "bravo")
	for _, dir := range []string{"../x", "a/../../x"} {
		hdr := PayloadHeader{Kind: KindFile, Files: []FileEntry{files[0].entry}, Share: "docs", Dir: dir}
		j, err := alice.svc.enqueue(ctx, testWG, m, hdr, files, "evil")
		if err != nil {
			t.Fatal(err)
		}
		alice.svc.Wake()
		if j := waitState(t, alice, j.ID, StateFailed); !strings.Contains(j.Error, "not allowed") {
			t.Fatalf("failure reason %q", j.Error)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(docs), "x")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file escaped the share: %v", err)
	}
}
