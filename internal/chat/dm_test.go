package chat_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// conversation is the kinds and texts of nd's conversation with member.
func conversation(t *testing.T, nd *testnet.Node, member string) []string {
	t.Helper()
	ms, err := nd.Chat().History(ctxT(t), "office", chat.HistoryQuery{Peer: member})
	if err != nil {
		t.Fatalf("%s: history with %s: %v", nd.Name, member, err)
	}
	var out []string
	for _, m := range ms {
		if m.Peer != member {
			t.Fatalf("%s: message of the conversation with %s names %s", nd.Name, member, m.Peer)
		}
		out = append(out, m.Kind+":"+m.Author+":"+m.Text)
	}
	return out
}

func waitConversation(t *testing.T, nd *testnet.Node, member string, want []string) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, func() error {
		if got := conversation(t, nd, member); !slices.Equal(got, want) {
			return fmt.Errorf("%s's conversation with %s: %v, want %v", nd.Name, member, got, want)
		}
		return nil
	})
}

type job struct {
	Kind  string `json:"kind"`
	State string `json:"state"`
}

// chatJobs is nd's queued chat jobs.
func chatJobs(t *testing.T, nd *testnet.Node) []job {
	t.Helper()
	var jobs []job
	nd.Must(http.MethodGet, "/v1/queue", nil, &jobs)
	return slices.DeleteFunc(jobs, func(j job) bool { return j.Kind != "chat" })
}

// Direct messages: live when both are up (no spool job); to a member
// that is down, through the mailbox member, and received when it comes
// back with the sender gone: exactly once, in order, alert included.
func TestDirectMessages(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "mbox", "bravo")
	net.Workgroup("office", "mbox")
	net.WaitOnline("office")
	a, b := net.Node("alpha"), net.Node("bravo")

	if _, err := a.Chat().Direct(ctxT(t), "office", "bravo", "live", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitConversation(t, b, "alpha", []string{"text:alpha:live"})
	if _, err := b.Chat().Direct(ctxT(t), "office", "alpha", "answer", chat.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	live := []string{"text:alpha:live", "text:bravo:answer"}
	waitConversation(t, a, "bravo", live)
	if js := chatJobs(t, a); len(js) != 0 {
		t.Fatalf("a live message went through the spool: %v", js)
	}

	b.Stop()
	var want []string
	for i := range 3 {
		txt := fmt.Sprintf("offline-%d", i)
		if _, err := a.Chat().Direct(ctxT(t), "office", "bravo", txt, chat.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "text:alpha:"+txt)
	}
	if _, err := a.Chat().Alert(ctxT(t), "office", "bravo", "look up"); err != nil {
		t.Fatal(err)
	}
	want = append(want, "alert:alpha:look up")
	testutil.Eventually(t, testnet.Converge, func() error {
		js := chatJobs(t, a)
		if len(js) != len(want) {
			return fmt.Errorf("alpha has %d chat jobs, want %d", len(js), len(want))
		}
		for _, j := range js {
			if j.State != "deposited" {
				return fmt.Errorf("chat job %s", j.State)
			}
		}
		return nil
	})
	a.Stop()
	b.Start()
	waitConversation(t, b, "alpha", append(live, want...))
}
