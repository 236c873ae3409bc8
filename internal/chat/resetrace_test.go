package chat_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// liveBound bounds how long live gossip may take here: a heartbeat to
// graft a peer back into the mesh, under -race on shared cores.
const liveBound = 5 * time.Second

// The lost-subscriptions race (docs/design/records/2026-11-30-s7-gossipreset.md),
// forced at the service level: bravo resets its gossip with alpha (as on
// joining), and alpha's routers apply bravo's fresh hello before the
// death of their own writer to bravo, which makes gossipsub forget
// bravo's subscriptions (p2p.Host.HoldGossipDeath). On the host router
// that is the roster topic; on the chat router the room directory and
// every room. Afterwards alpha must list bravo on each again, and what
// alpha says in the room must reach bravo by gossip (bravo's chat
// router counts it: history sync would not) within liveBound, as must a
// rename of the workgroup. Before re-announcing, alpha listed bravo on
// none of them until some other reset, and the room reached bravo only
// by history sync (anti-entropy, 15 s by default).
func TestResetRaceKeepsLiveGossip(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo")
	net.Workgroup("office")
	net.WaitOnline("office")
	a, b := net.Node("alpha"), net.Node("bravo")
	a.Chat().GossipOnly() // gossip's re-announce is tested, not push
	wg := wgID(t, a)
	if _, err := a.Chat().CreateRoom(ctxT(t), "office", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	waitRoom(t, b, "office", "general")
	if _, err := b.Chat().JoinRoom(ctxT(t), "office", "general"); err != nil {
		t.Fatal(err)
	}
	topics := []string{workgroup.TopicName(wg), chat.Topic(wg, ""), chat.Topic(wg, "general")}
	waitListed(t, a, b, topics, testnet.Converge)
	waitListed(t, b, a, topics, testnet.Converge)

	reopened := a.Host().HoldGossipDeath(b.Host().ID())
	b.Host().ResetGossip(a.Host().ID())
	select {
	case <-reopened:
	case <-time.After(testnet.Converge):
		t.Fatal("alpha's routers never opened a new writer to bravo")
	}
	// alpha's routers have now forgotten bravo's subscriptions.
	waitListed(t, a, b, topics, liveBound)
	waitListed(t, b, a, topics, liveBound)

	// A message said while bravo is in none of alpha's meshes yet goes
	// by the sync a heartbeat after the join (TestRejoinGetsMessageWithoutFlood):
	// alpha says probes until one reaches bravo by gossip.
	deadline := time.Now().Add(liveBound)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no message from alpha reached bravo by gossip within %v", liveBound)
		}
		before := gossipNew(t, b)
		probe := fmt.Sprintf("after the reset %d", i)
		if _, err := a.Chat().Say(ctxT(t), "office", "general", probe, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		if live(t, b, before, probe, time.Second) {
			break
		}
	}
	a.Must(http.MethodPost, "/v1/workgroups/rename", map[string]string{"workgroup": wg, "name": "office2"}, nil)
	testutil.Eventually(t, liveBound, func() error {
		var ws []struct {
			Name string `json:"name"`
		}
		if err := b.Do(http.MethodGet, "/v1/workgroups", nil, &ws); err != nil {
			return err
		}
		if len(ws) != 1 || ws[0].Name != "office2" {
			return fmt.Errorf("bravo's workgroups: %v", ws)
		}
		return nil
	})
}

// live reports whether nd's chat router receives a message by gossip and
// nd has probe in room general, within d.
func live(t *testing.T, nd *testnet.Node, before float64, probe string, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if gossipNew(t, nd) > before && slices.Contains(texts(t, nd, "office", "general"), probe) {
			return true
		}
	}
	return false
}

// waitListed waits up to d until on's routers list p's host as a
// subscriber of every topic (the roster topic on the host router, the
// others on the chat router).
func waitListed(t *testing.T, on, p *testnet.Node, topics []string, d time.Duration) {
	t.Helper()
	hostPS, err := on.Host().PubSub()
	if err != nil {
		t.Fatal(err)
	}
	chatPS, err := on.Host().ChatPubSub()
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, d, func() error {
		var missing []string
		for i, tp := range topics {
			ps := chatPS
			if i == 0 {
				ps = hostPS
			}
			if !slices.Contains(ps.ListPeers(tp), p.Host().ID()) {
				missing = append(missing, tp)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%s does not list %s on %v", on.Name, p.Name, missing)
		}
		return nil
	})
}

// gossipNew is the count of messages nd's chat router received new
// (peerhood_chat_gossip_total{what="new"}).
func gossipNew(t *testing.T, nd *testnet.Node) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := nd.Client.DoRaw(ctx, http.MethodGet, "/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `peerhood_chat_gossip_total{what="new"} `); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return 0
}
