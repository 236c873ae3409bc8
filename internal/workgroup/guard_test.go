package workgroup

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/peerhood/peerhood/internal/testutil"
)

// noMembers is a Directory in which nobody is a member.
type noMembers struct{ Directory }

func (noMembers) Memberships(peer.ID) []Member { return nil }

// A non-member's streams are all reset before the handler runs, and a
// burst of them logs one warning, not one each.
func TestGuardRefusesAndRateLimitsWarnings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mn, err := mocknet.FullMeshConnected(2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = mn.Close() }()
	server, stranger := mn.Hosts()[0], mn.Hosts()[1]
	var logs testutil.SyncBuffer
	var served atomic.Int32
	const proto = "/peerhood/test-guard/1"
	server.SetStreamHandler(proto, Guard(noMembers{}, slog.New(slog.NewTextHandler(&logs, nil)), func(s network.Stream) {
		served.Add(1)
		_ = s.Close()
	}))
	const streams = 12
	for i := range streams {
		s, err := stranger.NewStream(ctx, server.ID(), proto)
		if err != nil {
			continue // reset while the protocol was negotiated: refused too
		}
		_, _ = s.Write([]byte("hello"))
		if _, err := io.ReadAll(s); err == nil {
			t.Errorf("stream %d: read to a clean end, want it reset", i)
		}
		_ = s.Close()
	}
	if n := served.Load(); n != 0 {
		t.Fatalf("the handler ran for a non-member %d times", n)
	}
	if n := strings.Count(logs.String(), "refused stream from non-member"); n != 1 {
		t.Fatalf("%d warnings for %d refused streams of one peer within a second, want 1:\n%s", n, streams, logs.String())
	}
}
