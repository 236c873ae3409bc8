package spool

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Accept is idempotent: a destination file holding exactly the item's
// bytes counts as written; one holding anything else is refused and kept.
func TestAcceptIdempotent(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	ctx := context.Background()
	data := []byte("the same bytes")
	src := writeFile(t, t.TempDir(), "f.txt", data)
	jobs, err := alice.svc.Send(ctx, SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, alice, jobs[0].ID, StateDelivered)
	other := t.TempDir()
	writeFile(t, other, "f.txt", []byte("other bytes!!!")) // same size, other content
	if _, err := bob.svc.Accept(ctx, jobs[0].ID, other); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("accept over another file: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(other, "f.txt")); string(got) != "other bytes!!!" {
		t.Fatal("existing file changed")
	}
	same := t.TempDir()
	writeFile(t, same, "f.txt", data)
	if _, err := bob.svc.Accept(ctx, jobs[0].ID, same); err != nil {
		t.Fatalf("accept onto the same bytes: %v", err)
	}
	if it, _ := bob.svc.Item(ctx, jobs[0].ID, false); it.State != ItemAccepted {
		t.Fatalf("item is %s", it.State)
	}
}
