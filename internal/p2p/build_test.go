package p2p

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/config"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/quic-go/quic-go"
)

// TestNodeLinksNoUnusedLibp2p: the node's binary links neither
// go-libp2p's root and config packages nor what they drag in (fx, dig,
// the webrtc, webtransport and websocket transports): ~120 packages and
// 4-5 MB of idle RSS per node (docs/design/records/2026-11-30-s7-idlemem.md).
func TestNodeLinksNoUnusedLibp2p(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/peerhood/peerhood/cmd/peerhood").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	banned := []string{
		"github.com/libp2p/go-libp2p",
		"github.com/libp2p/go-libp2p/config",
		"go.uber.org/fx",
		"go.uber.org/dig",
		"github.com/libp2p/go-libp2p/p2p/transport/webrtc",
		"github.com/libp2p/go-libp2p/p2p/transport/webtransport",
		"github.com/libp2p/go-libp2p/p2p/transport/websocket",
		"github.com/pion/webrtc/v4",
		"github.com/quic-go/webtransport-go",
		"github.com/gorilla/websocket",
	}
	for _, p := range strings.Fields(string(out)) {
		if slices.Contains(banned, p) {
			t.Errorf("cmd/peerhood links %s", p)
		}
	}
}

// TestQUICKeysAsGoLibp2p: the QUIC stateless reset and token keys are
// derived from the node key exactly as go-libp2p's config package does,
// so a node's peers see the same keys as before it built its own host.
func TestQUICKeysAsGoLibp2p(t *testing.T) {
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	reset, err := deriveKey[quic.StatelessResetKey](k, "libp2p quic stateless reset key")
	if err != nil {
		t.Fatal(err)
	}
	wantReset, err := config.PrivKeyToStatelessResetKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if reset != wantReset {
		t.Error("stateless reset key differs from go-libp2p's")
	}
	token, err := deriveKey[quic.TokenGeneratorKey](k, "libp2p quic token generator key")
	if err != nil {
		t.Fatal(err)
	}
	wantToken, err := config.PrivKeyToTokenGeneratorKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if token != wantToken {
		t.Error("token generator key differs from go-libp2p's")
	}
}

// TestHostServices: the hand-built host runs what libp2p.New ran for
// the node: identify and its push, the AutoNAT service, the relay
// client's stop handler, and dials TCP, QUIC and relayed addresses.
func TestHostServices(t *testing.T) {
	t.Parallel()
	h := newTestHost(t)
	protos := h.Mux().Protocols()
	for _, p := range []protocol.ID{"/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/libp2p/autonat/1.0.0", "/libp2p/circuit/relay/0.2.0/stop"} {
		if !slices.Contains(protos, p) {
			t.Errorf("host does not handle %s (it handles %v)", p, protos)
		}
	}
	sw := h.Network().(*swarm.Swarm)
	for _, a := range []string{
		"/ip4/192.0.2.1/tcp/4317",
		"/ip4/192.0.2.1/udp/4317/quic-v1",
		"/ip4/192.0.2.1/tcp/4317/p2p/12D3KooWQFCwp5Fb2k9mZ8wZcB8zXG4jgJZ5Ud6dP4Vhc2mCuF7K/p2p-circuit",
	} {
		if sw.TransportForDialing(ma.StringCast(a)) == nil {
			t.Errorf("no transport dials %s", a)
		}
	}
}
