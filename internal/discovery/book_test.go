package discovery

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/store"
)

func TestBook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBook(db)
	p := peer.ID("member-one")
	var addrs []ma.Multiaddr
	for i := range maxBookAddrs + 4 {
		addrs = append(addrs, ma.StringCast(fmt.Sprintf("/ip4/10.0.0.%d/tcp/4317", i+1)))
	}
	// One at a time, so each is newer than the last.
	for _, a := range addrs {
		if err := b.Record(ctx, p, SourceIdentify, []ma.Multiaddr{a}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.Addrs(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != maxBookAddrs {
		t.Fatalf("kept %d addresses, want %d", len(got), maxBookAddrs)
	}
	// A damaged row is skipped, not an error.
	if _, err := db.ExecContext(ctx, `INSERT INTO discovery_addrs(peer_id, addr, seen_at) VALUES(?, 'not a multiaddr', 0)`, p.String()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The book survives a restart.
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b = NewBook(db)
	got, err = b.Addrs(ctx, p)
	if err != nil || len(got) != maxBookAddrs {
		t.Fatalf("after reopen: %d addresses, %v", len(got), err)
	}
	if got[len(got)-1].Equal(addrs[0]) {
		t.Fatal("the oldest address was kept over newer ones")
	}
	if other, _ := b.Addrs(ctx, peer.ID("someone-else")); len(other) != 0 {
		t.Fatalf("addresses leaked to another peer: %v", other)
	}
	if err := b.Forget(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Addrs(ctx, p); len(got) != 0 {
		t.Fatalf("forgotten peer still has %v", got)
	}
}
