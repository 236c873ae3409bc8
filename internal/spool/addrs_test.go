package spool

import (
	"context"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
)

// A member met again at the same addresses is not written again, nor
// after a restart (the records are read back from SQLite): every
// reconnection and restart meets every member. New addresses are
// written. The record is what connect falls back on, so it must hold
// them.
func TestRememberAddrsWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, bob := connectedPair(t)
	p := bob.host.ID()
	stored := func() string {
		t.Helper()
		var js string
		if err := alice.svc.db.QueryRowContext(ctx, `SELECT addrs FROM spool_peer_addrs WHERE peer=?`, p.String()).Scan(&js); err != nil {
			t.Fatal(err)
		}
		return js
	}
	alice.svc.rememberAddrs(ctx, p) // the first record (or onConnected's, 2 s after the connection)
	bobAt, _, _ := strings.Cut(bob.host.Addrs()[0], "/p2p/")
	extra := ma.StringCast("/ip4/10.9.8.7/tcp/4001")
	steps := []struct {
		name   string
		before func()
		writes int64
		holds  string
	}{
		{"same addresses again", func() {}, 0, bobAt},
		{"and again", func() {}, 0, bobAt},
		{"after a restart", func() { alice.stop(); alice.start(); connect(t, alice, bob) }, 0, bobAt},
		{"a new address", func() { alice.host.Peerstore().AddAddr(p, extra, peerstore.PermanentAddrTTL) }, 1, extra.String()},
		{"then the same", func() {}, 0, extra.String()},
	}
	for _, st := range steps {
		st.before()
		n0 := alice.svc.addrWrites.Load()
		alice.svc.rememberAddrs(ctx, p)
		if got := alice.svc.addrWrites.Load() - n0; got != st.writes {
			t.Fatalf("%s: %d writes, want %d", st.name, got, st.writes)
		}
		if js := stored(); !strings.Contains(js, st.holds) {
			t.Fatalf("%s: record %s lacks %s", st.name, js, st.holds)
		}
	}
}
