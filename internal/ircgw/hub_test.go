package ircgw

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/peerhood/peerhood/internal/events"
)

// countDecodes is a backend counting the chat events the hub reads.
type countDecodes struct {
	Backend
	n *atomic.Int64
}

func (b countDecodes) DecodeMessage(ev events.Event) (Message, error) {
	b.n.Add(1)
	return b.Backend.DecodeMessage(ev)
}

// TestHubIdleWithoutClients: while no client is registered the hub reads
// no chat event (none decoded, nothing remembered); with one registered
// it reads every one. Run synchronously on a drained subscription.
func TestHubIdleWithoutClients(t *testing.T) {
	tests := []struct {
		name       string
		registered int64
		want       int64
	}{
		{"no client", 0, 0},
		{"one client", 1, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNet(t)
			var decoded atomic.Int64
			bus := events.New(events.Options{})
			t.Cleanup(bus.Close)
			s, err := New(Config{Addr: Off, Token: testToken, Events: bus,
				Backend: countDecodes{Backend: tn.alice, n: &decoded}})
			if err != nil {
				t.Fatal(err)
			}
			s.sub = bus.Subscribe(events.Filter{Kinds: []events.Kind{events.KindChatMessage, events.KindPresenceChanged}})
			for i := range 5 {
				bus.Publish("wg-home", Message{Workgroup: "wg-home", Room: "general", Author: "bob",
					ID: fmt.Sprint("id", i), Text: fmt.Sprint("m", i)})
			}
			s.sub.Close()
			s.nreg.Add(tt.registered)
			s.hub() // returns once the closed subscription is drained
			if got := decoded.Load(); got != tt.want {
				t.Errorf("decoded %d chat events, want %d", got, tt.want)
			}
			if got := int64(len(s.seen.ring)); got != tt.want {
				t.Errorf("seen set holds %d IDs, want %d", got, tt.want)
			}
		})
	}
}

// TestPlaybackAfterIdleHub: messages that arrive while no client is
// connected (the hub drops them unread) are in the playback of a client
// that registers later, as they come from the chat store.
func TestPlaybackAfterIdleHub(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	postN(t, tn, "wg-home", "general", 3)
	c := dial(t, s)
	c.send("CAP LS 302", "CAP REQ :batch", "PASS "+testToken, "NICK a", "USER tester 0 * :r", "CAP END")
	c.until("376")
	c.until("366")
	if got := strings.Join(c.batchTexts(), " "); got != "m1 m2 m3" {
		t.Fatalf("playback %q, want m1 m2 m3", got)
	}
	if _, err := tn.net.Post("wg-home", "general", "bob", "live"); err != nil {
		t.Fatal(err)
	}
	c.untilText("live")
}
