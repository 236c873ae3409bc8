package chat_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testnet.Converge)
	t.Cleanup(cancel)
	return ctx
}

// texts is the texts of a room's history on nd, in order.
func texts(t testing.TB, nd *testnet.Node, wg, room string) []string {
	t.Helper()
	ms, err := nd.Chat().History(ctxT(t), wg, chat.HistoryQuery{Room: room, Limit: 100000})
	if err != nil {
		t.Fatalf("%s: history: %v", nd.Name, err)
	}
	var out []string
	for _, m := range ms {
		if m.Kind == chat.KindText {
			out = append(out, m.Text)
		}
	}
	return out
}

// waitTexts waits until every node has exactly want (in that order, no
// duplicate) in the room.
func waitTexts(t *testing.T, nodes []*testnet.Node, wg, room string, want []string) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, func() error {
		for _, nd := range nodes {
			got := texts(t, nd, wg, room)
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s has %d messages, want %d: %.300v", nd.Name, len(got), len(want), got)
			}
		}
		return nil
	})
}

// waitRoom waits until nd knows room.
func waitRoom(t testing.TB, nd *testnet.Node, wg, room string) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, func() error {
		rs, err := nd.Chat().Rooms(wg)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(rs, func(r chat.Room) bool { return r.Name == room }) {
			return fmt.Errorf("%s does not know room %s", nd.Name, room)
		}
		return nil
	})
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("n%02d", i)
	}
	return out
}

// Three members: a room created by one is seen by the others, who join
// it; what each says reaches every member once, in the same order.
func TestRoomSayHistory(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "bravo", "charlie")
	net.Workgroup("office")
	net.WaitOnline("office")
	ctx := ctxT(t)
	a := net.Node("alpha")
	if _, err := a.Chat().CreateRoom(ctx, "office", "general", "talk", nil); err != nil {
		t.Fatal(err)
	}
	for _, nd := range net.Nodes[1:] {
		waitRoom(t, nd, "office", "general")
		if _, err := nd.Chat().JoinRoom(ctx, "office", "general"); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i, nd := range net.Nodes {
		txt := fmt.Sprintf("hello from %s", nd.Name)
		if _, err := nd.Chat().Say(ctx, "office", "general", txt, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, txt)
		_ = i
		time.Sleep(5 * time.Millisecond)
	}
	waitTexts(t, net.Nodes, "office", "general", want)
	// A search finds a message as soon as it is stored (indexing is
	// deferred, but a search indexes what is queued first).
	found, err := net.Node("charlie").Chat().History(ctx, "office", chat.HistoryQuery{Room: "general", Search: "bravo"})
	if err != nil || len(found) != 1 || found[0].Text != "hello from bravo" {
		t.Fatalf("search bravo on charlie: %+v, %v", found, err)
	}
	rs, _ := net.Node("charlie").Chat().Rooms("office")
	if len(rs) != 1 || rs[0].Topic != "talk" || rs[0].Creator != "alpha" {
		t.Fatalf("rooms on charlie: %+v", rs)
	}
	_ = strings.Join
}
