package spool

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/testutil"
)

// A chat item the chat could not store for want of disk space stays and
// is handed to it again, with no restart; once stored it is taken once.
// (The hook stands for the chat: internal/testnet's TestChatOnFullDisk
// runs the whole path on a real full disk.)
func TestChatItemRetakenAfterDiskFull(t *testing.T) {
	alice, bob := connectedPair(t)
	var mu sync.Mutex
	calls, stored := 0, 0
	full := true
	bob.svc.OnChat(func(_ context.Context, wg string, from peer.ID, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if full {
			return fmt.Errorf("chat: store direct message: %w", &fs.PathError{Op: "write", Path: "state.db-wal", Err: syscall.ENOSPC})
		}
		stored++
		return nil
	})
	if err := alice.svc.SendChat(context.Background(), testWG, bob.id.PeerID, []byte("signed chat message")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if calls < 2 {
			return fmt.Errorf("hook called %d times on a full disk, want it retried", calls)
		}
		full = false // space freed
		return nil
	})
	testutil.Eventually(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if stored != 1 {
			return fmt.Errorf("stored %d times", stored)
		}
		return nil
	})
	var state string
	if err := bob.db.QueryRow(`SELECT state FROM spool_inbox WHERE kind=?`, KindChat).Scan(&state); err != nil || state != ItemRemoved {
		t.Fatalf("chat item is %q (%v), want taken", state, err)
	}
	again := 0
	bob.svc.retakeChats(context.Background(), func(context.Context, string, peer.ID, []byte) error { again++; return nil })
	if again != 0 {
		t.Fatal("a taken item was handed over again")
	}
}
