package chat_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/spool"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const dmWG = "wg-dmmb-0001"

// dmNode is one in-process node for the mailbox DM test: host, database,
// spool and (unless a bare mailbox) chat.
type dmNode struct {
	name  string
	home  string
	id    *identity.Identity
	roles []string
	host  *p2p.Host
	spool *spool.Service
	chat  *chat.Service
}

func (n *dmNode) member() workgroup.Member {
	return workgroup.Member{Workgroup: dmWG, WorkgroupName: "office", Name: n.name, PeerID: n.id.PeerID,
		AgeRecipient: n.id.AgeRecipient(), Roles: n.roles, NotAfter: time.Now().Add(time.Hour)}
}

// startDMNodes starts the nodes, all members of one workgroup. The spool's
// fetches and retries come after an hour: what arrives within a test's
// bound came by news (a mailbox's notify, a connection).
func startDMNodes(t *testing.T, withChat map[string]bool, nodes ...*dmNode) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	for _, n := range nodes {
		n.home = t.TempDir()
		id, _, err := identity.LoadOrCreate(n.home)
		if err != nil {
			t.Fatal(err)
		}
		n.id = id
	}
	for _, n := range nodes {
		dir := workgroup.NewStaticDirectory(n.id.PeerID)
		for _, m := range nodes {
			dir.Add(m.member())
		}
		n.host = p2ptest.New(t, n.id.Key, p2ptest.WithLog(log))
		db, err := store.Open(context.Background(), filepath.Join(n.home, "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		sp, err := spool.New(spool.Config{Host: n.host, DB: db, Identity: n.id, Dir: dir, SpoolDir: filepath.Join(n.home, "spool"), Log: log,
			RetryBase: time.Hour, RetryCap: time.Hour, FetchInterval: time.Hour, Tick: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sp.Close() })
		n.spool = sp
		if !withChat[n.name] {
			continue
		}
		c, err := chat.New(chat.Config{Host: n.host, DB: db, Identity: n.id, Dir: dir, Log: log, Events: events.New(events.Options{}),
			Spool: sp, DirectTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		n.chat = c
	}
}

func dialDM(t *testing.T, a, b *dmNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.host.Connect(ctx, b.host.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
}

// A direct message to a member alpha cannot reach (no address: a NAT
// between them) but who is connected to the mailbox member goes through
// the spool to the mailbox, and bravo sees it at once: the mailbox
// notifies him. Before, he saw it at his next mailbox fetch (30 s by
// default, an hour here).
func TestDirectMessageThroughMailboxToConnectedMember(t *testing.T) {
	t.Parallel()
	alpha, mbox, bravo := &dmNode{name: "alpha"}, &dmNode{name: "mbox", roles: []string{workgroup.RoleMailbox}}, &dmNode{name: "bravo"}
	startDMNodes(t, map[string]bool{"alpha": true, "bravo": true}, alpha, mbox, bravo)
	dialDM(t, alpha, mbox)
	dialDM(t, bravo, mbox)
	// bravo fetches from mbox (nothing yet), as he does on connecting to
	// it: a message deposited later is news to him.
	bravo.spool.FetchNow(ctxT(t))

	sent := time.Now()
	if _, err := alpha.chat.Direct(ctxT(t), "office", "bravo", "through the mailbox", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	const bound = 5 * time.Second // milliseconds with the notify; the bound allows a loaded machine
	testutil.Eventually(t, bound, func() error {
		ms, err := bravo.chat.History(ctxT(t), "office", chat.HistoryQuery{Peer: "alpha"})
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ms, func(m chat.Message) bool { return m.Text == "through the mailbox" }) {
			return fmt.Errorf("bravo's conversation with alpha holds %d messages, not the one sent", len(ms))
		}
		return nil
	})
	t.Logf("bravo sees alpha's message %s after she sent it", time.Since(sent).Round(time.Millisecond))
}
