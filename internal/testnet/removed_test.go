package testnet_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// A member removed while online learns it (workgroup ls says who removed
// it) and stops using the workgroup: it does not redial the members, the
// mailbox among them. Before the fix echo redialled the mailbox ~100
// times a second (a new connection asked for a fetch, the fetch dialled,
// the mailbox's gate closed the connection, and again).
func TestRemovedMemberStopsDialling(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alice", "mbox", "echo")
	net.Workgroup("office", "mbox")
	net.WaitOnline("office")
	echo := net.Node("echo")

	var conns atomic.Int64
	echo.Host().Network().Notify(&network.NotifyBundle{ConnectedF: func(network.Network, network.Conn) { conns.Add(1) }})
	net.Node("alice").Must(http.MethodDelete, "/v1/members/echo", nil, nil)

	// echo learns of its removal (pushed to it before its connections
	// are closed) and says so.
	testutil.Eventually(t, testnet.Converge, func() error {
		var ws []struct {
			Name      string `json:"name"`
			Removed   string `json:"removed"`
			RemovedBy string `json:"removed_by"`
		}
		if err := echo.Do(http.MethodGet, "/v1/workgroups", nil, &ws); err != nil {
			return err
		}
		if len(ws) != 1 || !strings.HasPrefix(ws[0].Removed, "removed from office by alice at ") || ws[0].RemovedBy != "alice" {
			return fmt.Errorf("echo's workgroups: %+v", ws)
		}
		return nil
	})
	// status --json says it too, in the same words.
	var st struct {
		Removed []struct {
			Removed   string     `json:"removed"`
			RemovedBy string     `json:"removed_by"`
			RemovedAt *time.Time `json:"removed_at"`
		} `json:"removed"`
	}
	if err := echo.Do(http.MethodGet, "/v1/status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Removed) != 1 || !strings.HasPrefix(st.Removed[0].Removed, "removed from office by alice at ") ||
		st.Removed[0].RemovedBy != "alice" || st.Removed[0].RemovedAt == nil {
		t.Fatalf("echo's status says %+v", st.Removed)
	}
	before := conns.Load()
	// Something (a user's connect, an mDNS find) makes echo dial the
	// mailbox: that must not start a loop.
	for range 3 {
		_ = echo.Do(http.MethodPost, "/v1/connect", map[string]string{"addr": net.Node("mbox").Addr()}, nil)
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2400 * time.Millisecond)
	n := conns.Load() - before
	t.Logf("echo made %d connections in 3 s after learning of its removal", n)
	if n > 10 {
		t.Fatalf("echo made %d connections in 3 s after its removal: it still dials the workgroup", n)
	}
}
