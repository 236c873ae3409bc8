package testnet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// openToAll are the protocols a node serves that are not guarded by
// workgroup.Guard, each with why it is open and what checks it instead.
// Every other protocol the live host lists must reset a non-member's
// stream before it reads a byte: a protocol added without the guard makes
// TestEveryStreamChecksMembership fail, naming it.
var openToAll = map[protocol.ID]string{
	// peerhood's own.
	p2p.ProtoJoin:                 "a joiner has no certificate yet; the join handler checks the gate's allowJoin (an invite of this node outstanding, the peer not revoked) and then the invite secret",
	"/peerhood/chat/gossip/1.2.0": "chat's gossipsub router: every RPC passes p2p's admission (the gate's AllowTopic \"\": a refused peer's RPCs are dropped, its subscriptions filtered) and the router never writes on a stream it did not open",

	// libp2p's, run by the host.
	"/ipfs/id/1.0.0":                   "identify: tells the listen addresses and protocols, as any libp2p host does; the DHT protocol name carries a tag, not the workgroup ID",
	"/ipfs/id/push/1.0.0":              "identify push: the peer's own record, applied to the peerstore only",
	"/ipfs/ping/1.0.0":                 "ping: echoes 32-byte payloads, libp2p's resource manager bounds its streams",
	"/meshsub/1.0.0":                   "gossipsub: as chat's router above (p2p.Host.admission)",
	"/meshsub/1.1.0":                   "gossipsub: as chat's router above (p2p.Host.admission)",
	"/meshsub/1.2.0":                   "gossipsub: as chat's router above (p2p.Host.admission)",
	"/meshsub/1.3.0":                   "gossipsub: as chat's router above (p2p.Host.admission)",
	"/floodsub/1.0.0":                  "gossipsub's floodsub fallback: the same router and admission",
	"/libp2p/circuit/relay/0.2.0/hop":  "circuit relay: reservations and circuits are asked of the gate's RelayGate (members only, both ends of a circuit in one workgroup)",
	"/libp2p/circuit/relay/0.2.0/stop": "circuit relay's stop side: a relayed connection then passes the gate like any other",
	"/libp2p/dcutr":                    "hole punching: only synchronises a direct dial, and that connection passes the gate",
	"/libp2p/autonat/1.0.0":            "AutoNAT v1: dials the asker back at its own observed IP only (libp2p's rate limits)",
	"/libp2p/autonat/2/dial-request":   "AutoNAT v2: as v1",
	"/libp2p/autonat/2/dial-back":      "AutoNAT v2's dial-back: this node's own nonce check",
}

// probeWait bounds how long a probe waits for the reset. It is below the
// shortest wait of any handler for its first frame (presence's 5 s), so a
// handler that reads instead of resetting at once (no guard) is caught by
// the silent probe rather than by its own deadline's reset.
const probeWait = 4 * time.Second

// Every stream of every protocol a whole node serves (listed from its
// live host, not from a list kept by hand) is reset before it is answered
// when it comes from a peer that is not a member of any of the node's
// workgroups: a stranger connected inbound (an invite of the node is
// outstanding, so its gate lets anyone in), a stranger the node dialled,
// a member of another workgroup only (a real node in its own workgroup),
// and a member whose certificate was revoked (the gate refuses its
// connections but while the node tells it of its revocation: the sweep
// runs then). For each (peer, protocol) two streams: one with a
// plausible first frame, which must get no reply byte, and one that
// sends nothing, which must be reset at once (a handler without the
// guard waits for its frame). The node's mail, inbox, queue, shares,
// members, rooms, chat history and shared folder stay as they were.
// The node's gossip tells the strangers none of its topics, and a member
// of another of its workgroups only that workgroup's topics; office's
// DHT refuses that member too.
func TestEveryStreamChecksMembership(t *testing.T) {
	t.Parallel()
	office := testnet.New(t, "alpha", "bravo", "rex")
	office.Workgroup("office", "bravo")
	alpha, rex := office.Node("alpha"), office.Node("rex")
	labNet := testnet.New(t, "lab")
	lab := labNet.Node("lab")
	lab.Must(http.MethodPost, "/v1/workgroups", map[string]string{"name": "lab"}, nil)

	// Every service holds something.
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "report.txt"), []byte("quarterly"), 0o644); err != nil {
		t.Fatal(err)
	}
	alpha.Must(http.MethodPost, "/v1/shares", map[string]any{"name": "docs", "path": docs, "workgroup": "office"}, nil)
	alpha.Must(http.MethodPost, "/v1/rooms", map[string]any{"workgroup": "office", "name": "hall"}, nil)
	alpha.Must(http.MethodPost, "/v1/chat/say", map[string]any{"workgroup": "office", "room": "hall", "text": "hello"}, nil)

	// alpha is in a second workgroup, annex, with xeno, a member of annex
	// only: its gossip must tell xeno of annex's topics and of none of
	// office's. xeno's node stops; a bare host with its key listens.
	alpha.Must(http.MethodPost, "/v1/workgroups", map[string]string{"name": "annex"}, nil)
	xeno := testnet.New(t, "xeno").Node("xeno")
	var inv struct {
		Token string `json:"token"`
	}
	alpha.Must(http.MethodPost, "/v1/invites", map[string]any{"workgroup": "annex"}, &inv)
	xeno.Must(http.MethodPost, "/v1/join", map[string]string{"token": inv.Token, "name": "xeno"}, nil)
	xenoID, _, err := identity.LoadOrCreate(xeno.Home)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		if len(alpha.Directory().Memberships(xenoID.PeerID)) != 1 {
			return errors.New("alpha does not list xeno in annex yet")
		}
		return nil
	})
	xeno.Stop()

	var wgs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	alpha.Must(http.MethodGet, "/v1/workgroups", nil, &wgs)
	ids := map[string]string{}
	for _, w := range wgs {
		ids[w.Name] = w.ID
	}
	wgID, annexID := ids["office"], ids["annex"]
	if len(wgs) != 2 || wgID == "" || annexID == "" {
		t.Fatalf("alpha's workgroups: %+v", wgs)
	}

	// rex's node stops; a bare host with its key, still a member, connects
	// to alpha. Once rex is being revoked it holds the roster stream alpha
	// opens to tell it, never answering, so alpha keeps the connection while
	// it tries to tell rex (up to the workgroup's notifyTimeout, 3 s):
	// the one time a revoked member holds a connection, and every stream
	// of it must be refused meanwhile.
	rexID, _, err := identity.LoadOrCreate(rex.Home)
	if err != nil {
		t.Fatal(err)
	}
	rex.Stop()
	revoked := rawHost(t, rexID.Key, false)
	held := make(chan struct{})
	t.Cleanup(func() { close(held) })
	var holding atomic.Bool // set once rex is being revoked
	revoked.SetStreamHandler(p2p.ProtoRoster, func(st network.Stream) {
		// Until then each sync is refused at once: held, the streams
		// would use up alpha's outbound stream limit for rex, and the
		// telling would fail at once.
		if holding.Load() {
			<-held
		}
		_ = st.Reset()
	})
	connect(t, revoked, alpha)
	// An invite is outstanding: alpha's gate lets any inbound peer in.
	alpha.Must(http.MethodPost, "/v1/invites", map[string]any{"workgroup": "office"}, nil)

	// The workgroup's DHT starts at discovery's next round.
	testutil.Eventually(t, testnet.Converge, func() error {
		if !slices.ContainsFunc(alpha.Host().Mux().Protocols(), isDHT) {
			return errors.New("alpha serves no workgroup DHT yet")
		}
		return nil
	})

	before := snapshot(t, alpha, docs)
	protos := alpha.Host().Mux().Protocols()
	slices.Sort(protos)
	t.Logf("alpha serves %d protocols: %v", len(protos), protos)
	var swept []protocol.ID
	for _, p := range protos {
		if _, open := openToAll[p]; !open {
			swept = append(swept, p)
		}
	}
	for _, want := range []protocol.ID{p2p.ProtoFiles, p2p.ProtoRoster, p2p.ProtoHistory, p2p.ProtoMailbox} {
		if !slices.Contains(swept, want) {
			t.Fatalf("alpha does not serve %s: the node under test is not whole", want)
		}
	}
	if !slices.ContainsFunc(swept, isDHT) {
		t.Fatalf("alpha serves no workgroup DHT: %v", protos)
	}

	// The strangers listen for gossip too: alpha's routers open their
	// writers to them and say hello; the hello must not tell them a
	// topic (the workgroup's ID, its rooms' names).
	var ears []*gossipEar
	kinds := []struct {
		name    string
		connect func(t *testing.T) host.Host
	}{
		{"stranger", func(t *testing.T) host.Host {
			h := rawHost(t, nil, false)
			ears = append(ears, listenGossip(h, protos))
			connect(t, h, alpha)
			return h
		}},
		{"dialled-stranger", func(t *testing.T) host.Host {
			h := rawHost(t, nil, true)
			addr := h.Addrs()[0].Encapsulate(ma.StringCast("/p2p/" + h.ID().String()))
			ears = append(ears, listenGossip(h, protos))
			alpha.Must(http.MethodPost, "/v1/connect", map[string]string{"addr": addr.String()}, nil)
			// alpha's dial returns before h has listed the connection.
			testutil.Eventually(t, testnet.Converge, func() error {
				if h.Network().Connectedness(alpha.Host().ID()) != network.Connected {
					return errors.New("h does not list alpha's connection yet")
				}
				return nil
			})
			return h
		}},
		{"other-workgroup", func(t *testing.T) host.Host {
			connect(t, lab.Host().Host, alpha)
			return lab.Host().Host
		}},
		{"revoked", func(t *testing.T) host.Host {
			connect(t, revoked, alpha) // again, should something have cut it meanwhile
			holding.Store(true)
			alpha.Must(http.MethodDelete, "/v1/members/rex?workgroup=office", nil, nil)
			testutil.Eventually(t, testnet.Converge, func() error {
				if ms := alpha.Directory().Memberships(revoked.ID()); len(ms) > 0 {
					return fmt.Errorf("rex is still a member of %d workgroups", len(ms))
				}
				return nil
			})
			if revoked.Network().Connectedness(alpha.Host().ID()) != network.Connected {
				t.Fatal("alpha cut the revoked member before the sweep: it did not hold the connection while telling it")
			}
			return revoked
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			h := k.connect(t)
			// All at once (not t.Parallel, bounded by -parallel): an
			// unguarded handler's silent probe waits probeWait, which
			// must not use up the revoked member's short connection
			// for the other protocols.
			to := alpha.Host().ID()
			errs := make([][2]error, len(swept)) // with a first frame, silent
			var wg sync.WaitGroup
			for i, p := range swept {
				wg.Go(func() {
					errs[i][0] = probe(h, to, p, firstFrame(p, wgID))
					errs[i][1] = probe(h, to, p, nil)
				})
			}
			wg.Wait()
			for i, p := range swept {
				t.Run(strings.TrimPrefix(string(p), "/"), func(t *testing.T) {
					if err := errs[i][0]; err != nil {
						t.Errorf("%s from the %s, with a first frame: %v", p, k.name, err)
					}
					if err := errs[i][1]; err != nil {
						t.Errorf("%s from the %s, silent: %v", p, k.name, err)
					}
				})
			}
		})
	}
	for _, ear := range ears {
		ear.waitHellos(t)
		if heard := ear.String(); strings.Contains(heard, wgID) || strings.Contains(heard, annexID) || strings.Contains(heard, "hall") {
			t.Errorf("alpha's gossip told a stranger its workgroups or rooms:\n%q", heard)
		}
	}
	// xeno, a member of annex only, is told annex's topics, not office's.
	xh := rawHost(t, xenoID.Key, false)
	xear := listenGossip(xh, protos)
	connect(t, xh, alpha)
	testutil.Eventually(t, testnet.Converge, func() error {
		if heard := xear.String(); !strings.Contains(heard, "/peerhood/wg/"+annexID+"/roster") {
			return fmt.Errorf("xeno has not been told of annex's roster topic: %q", heard)
		}
		return nil
	})
	if heard := xear.String(); strings.Contains(heard, wgID) || strings.Contains(heard, "hall") {
		t.Errorf("alpha's gossip told xeno, of annex only, of office's topics:\n%q", heard)
	}
	// Guard lets xeno in (a member of annex); office's DHT, which answers
	// office's members only, resets its streams all the same.
	officeDHT := 0
	for _, p := range alpha.Host().Mux().Protocols() {
		if !strings.HasPrefix(string(p), string(discovery.DHTPrefix(wgID))+"/") {
			continue
		}
		officeDHT++
		for _, frame := range [][]byte{firstFrame(p, wgID), nil} {
			if err := probe(xh, alpha.Host().ID(), p, frame); err != nil {
				t.Errorf("%s from xeno, of annex only: %v", p, err)
			}
		}
	}
	if officeDHT == 0 {
		t.Errorf("alpha serves no DHT of office")
	}
	// Told or not, the revoked member is then cut off by the gate.
	testutil.Eventually(t, testnet.Converge, func() error {
		if revoked.Network().Connectedness(alpha.Host().ID()) == network.Connected {
			return errors.New("the revoked member is still connected")
		}
		return nil
	})
	if after := snapshot(t, alpha, docs); after != before {
		t.Errorf("alpha's state changed:\nbefore %s\nafter  %s", before, after)
	}
}

// probe opens a stream for proto from h to to, writes frame (nothing when
// nil) and reads: it returns nil when the stream is reset with no byte
// read while the connection stays up.
func probe(h host.Host, to peer.ID, proto protocol.ID, frame []byte) error {
	if h.Network().Connectedness(to) != network.Connected {
		return errors.New("not connected before the stream")
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeWait)
	defer cancel()
	st, err := h.NewStream(ctx, to, proto)
	for errors.Is(err, network.ErrResourceLimitExceeded) && ctx.Err() == nil {
		// lab's own limits (a real node's host): its streams of this
		// protocol to alpha are all in use for a moment.
		time.Sleep(50 * time.Millisecond)
		st, err = h.NewStream(ctx, to, proto)
	}
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(probeWait))
	if frame != nil {
		_, _ = st.Write(frame) // the reset may come first
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(st)
	switch {
	case buf.Len() > 0:
		return fmt.Errorf("answered %d bytes (%q...)", buf.Len(), buf.Bytes()[:min(buf.Len(), 32)])
	case err == nil:
		return errors.New("closed cleanly: the handler ran (the guard resets)")
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("still open after %s: the handler is waiting for a frame, not guarded (%v)", probeWait, err)
	case !errors.Is(err, network.ErrReset):
		return fmt.Errorf("ended with %v, want a reset", err)
	}
	if h.Network().Connectedness(to) != network.Connected {
		return errors.New("the connection was closed: the reset did not come from the stream's handler")
	}
	return nil
}

func isDHT(p protocol.ID) bool { return strings.HasPrefix(string(p), "/peerhood/dht/") }

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// firstFrame is a plausible first frame of proto, one a handler without
// the guard would answer (an unknown protocol gets an op and the
// workgroup, as most requests begin).
func firstFrame(proto protocol.ID, wgID string) []byte {
	var v any = map[int]any{1: "list", 2: wgID}
	switch proto {
	case p2p.ProtoFiles:
		v = map[int]any{1: "shares"}
	case p2p.ProtoRoster:
		v = map[int]any{1: wgID, 2: [][]byte{}}
	case p2p.ProtoHello:
		v = map[int]any{1: []string{wgID}}
	case p2p.ProtoHistory:
		v = map[int]any{1: "heads", 2: wgID}
	case p2p.ProtoTunnel:
		v = map[int]any{2: wgID, 4: true}
	case p2p.ProtoDM:
		v = map[int]any{1: [][]byte{[]byte("hi")}}
	case p2p.ProtoMailbox:
		v = map[int]any{1: "list"}
	case p2p.ProtoDeliver:
		v = map[int]any{1: "offer", 2: []byte("envelope")}
	}
	var b bytes.Buffer
	if err := wire.WriteFrame(&b, v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// gossipEar records what the routers of a node write to a bare host
// that speaks their protocols.
type gossipEar struct {
	mu    sync.Mutex
	heard map[protocol.ID][]byte // per router protocol
	want  int                    // routers that should say hello
	id    peer.ID                // the listening host's
}

// listenGossip makes h take the gossip protocols among protos (alpha's:
// gossipsub's and chat's router's), as a peer running gossipsub would.
func listenGossip(h host.Host, protos []protocol.ID) *gossipEar {
	e := &gossipEar{heard: map[protocol.ID][]byte{}, want: 2, id: h.ID()}
	for _, p := range protos {
		if !strings.HasPrefix(string(p), "/meshsub/") && p != "/peerhood/chat/gossip/1.2.0" {
			continue
		}
		h.SetStreamHandler(p, func(st network.Stream) {
			buf := make([]byte, 4096)
			for {
				n, err := st.Read(buf)
				if n > 0 {
					e.mu.Lock()
					e.heard[router(st.Protocol())] = append(e.heard[router(st.Protocol())], buf[:n]...)
					e.mu.Unlock()
				}
				if err != nil {
					return
				}
			}
		})
	}
	return e
}

// waitHellos waits until both of alpha's routers said hello to the ear.
// It used to connect the ear again when a router never did (once in a
// few dozen runs: a writer that failed to open was never opened again);
// the host now opens it again while the peer stays connected
// (p2p.gossipHost.NewStream), and the hello must come on the connection
// there is.
func (e *gossipEar) waitHellos(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, e.heardHellos)
}

// router names the router a gossip protocol belongs to.
func router(p protocol.ID) protocol.ID {
	if strings.HasPrefix(string(p), "/meshsub/") {
		return "/meshsub/"
	}
	return p
}

// heardHellos reports whether both routers wrote their hello.
func (e *gossipEar) heardHellos() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n := len(e.heard); n < e.want {
		return fmt.Errorf("%d of %d gossip routers said hello to %s: %q", n, e.want, e.id, e.heard)
	}
	return nil
}

func (e *gossipEar) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for p, heard := range e.heard {
		fmt.Fprintf(&b, "%s: %q\n", p, heard)
	}
	return b.String()
}

// rawHost is a bare libp2p host (no peerhood services) with key (a fresh
// one when nil), listening on the loopback when listen is set.
func rawHost(t *testing.T, key crypto.PrivKey, listen bool) host.Host {
	t.Helper()
	if key == nil {
		var err error
		if key, _, err = crypto.GenerateEd25519Key(nil); err != nil {
			t.Fatal(err)
		}
	}
	// No resource limits of its own: the revoked member's host holds
	// alpha's roster streams open, and must take every one.
	opts := []libp2p.Option{libp2p.Identity(key), libp2p.DisableRelay(), libp2p.DisableMetrics(),
		libp2p.ResourceManager(&network.NullResourceManager{})}
	if listen {
		opts = append(opts, libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	} else {
		opts = append(opts, libp2p.NoListenAddrs)
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// connect dials alpha from h and waits until identify told h alpha's
// protocols.
func connect(t *testing.T, h host.Host, to *testnet.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testnet.Converge)
	defer cancel()
	info, err := p2p.ParsePeerAddr(to.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Connect(ctx, *info); err != nil {
		t.Fatalf("connect to %s: %v", to.Name, err)
	}
}

// snapshot is what alpha holds, as its control API and its shared folder
// show it.
func snapshot(t *testing.T, nd *testnet.Node, docs string) string {
	t.Helper()
	var out strings.Builder
	for _, path := range []string{
		"/v1/mail", "/v1/inbox", "/v1/queue", "/v1/shares",
		"/v1/rooms?workgroup=office",
		"/v1/chat/history?workgroup=office&room=" + url.QueryEscape("hall"),
	} {
		var v json.RawMessage
		nd.Must(http.MethodGet, path, nil, &v)
		fmt.Fprintf(&out, "%s %s\n", path, v)
	}
	// The members but rex, whose revocation is the test's own doing.
	var ms []map[string]any
	nd.Must(http.MethodGet, "/v1/members?workgroup=office", nil, &ms)
	ms = slices.DeleteFunc(ms, func(m map[string]any) bool { return m["name"] == "rex" })
	b, err := json.Marshal(ms)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "members %s\n", b)
	ents, err := os.ReadDir(docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		fmt.Fprintf(&out, "docs/%s\n", e.Name())
	}
	return out.String()
}
