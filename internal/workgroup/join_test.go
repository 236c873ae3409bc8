package workgroup

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/p2p/p2ptest"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

func TestTokenRoundTripAndMalformed(t *testing.T) {
	t.Parallel()
	root, _ := NewRoot("office")
	p := newPeer(t)
	tok := Token{Workgroup: root.ID, RootPub: root.Pub, Name: root.Name, Secret: make([]byte, 32), Expires: 1e9,
		Inviter: []byte(p.id), Addrs: []string{"/ip4/127.0.0.1/tcp/4317"}}
	s, err := tok.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseToken("  " + s[:40] + "\n" + strings.ToUpper(s[40:]) + "\n")
	if err != nil || got.Workgroup != root.ID || got.InviterInfo().ID != p.id || len(got.InviterInfo().Addrs) != 1 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	enc := func(t Token) string { s, _ := t.Encode(); return s }
	mismatch := tok
	mismatch.Workgroup = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	short := tok
	short.Secret = []byte{1}
	badAddr := tok
	badAddr.Addrs = []string{"not an address"}
	for name, in := range map[string]string{
		"empty": "", "no prefix": s[6:], "bad base32": "phinv1!!!!", "truncated": s[:len(s)-20],
		"id mismatch": enc(mismatch), "short secret": enc(short), "bad addr": enc(badAddr),
		"huge": "phinv1" + strings.Repeat("a", 9000),
	} {
		if _, err := ParseToken(in); CodeOf(err) != CodeMalformed {
			t.Errorf("%s: got %v, want a malformed-token error", name, err)
		}
	}
}

func TestJoinAndRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha, bravo, charlie, delta := newTNode(t, "alpha"), newTNode(t, "bravo"), newTNode(t, "charlie"), newTNode(t, "delta")
	wg := mustCreate(t, alpha, "office")
	if _, err := bravo.svc.Invite(ctx, InviteOptions{}); CodeOf(err) != CodeNotFound {
		t.Fatalf("invite on a node in no workgroup: %v", err)
	}
	keep := mustInvite(t, alpha, InviteOptions{Uses: 10}) // keeps the gate open for the refusals below
	once := mustInvite(t, alpha, InviteOptions{Mailbox: true})

	m := mustJoin(t, bravo, once, "")
	if m.Name != "bravo" || !m.HasRole(RoleMailbox) || m.HasRole(RoleAdmin) || m.Workgroup != wg.ID {
		t.Fatalf("bravo's membership: %+v", m)
	}
	if err := wantMembers(bravo, wg.ID, 2); err != nil {
		t.Fatal(err)
	}

	// Replay of a spent invite.
	if _, _, err := charlie.svc.Join(ctx, once, ""); CodeOf(err) != CodeInviteUsed {
		t.Fatalf("replayed invite: %v", err)
	}
	// Name taken (case-insensitively), and the invite is not spent by it.
	_, _, err := charlie.svc.Join(ctx, keep, "BRAVO")
	if CodeOf(err) != CodeNameTaken || !strings.Contains(err.Error(), `"BRAVO"`) {
		t.Fatalf("taken name: %v", err)
	}
	// Unknown secret.
	tk, _ := ParseToken(keep)
	tk.Secret = make([]byte, 32)
	forged, _ := tk.Encode()
	if _, _, err := charlie.svc.Join(ctx, forged, ""); CodeOf(err) != CodeInviteUnknown {
		t.Fatalf("unknown secret: %v", err)
	}
	// Expired on the inviter (its clock rules), though the token looks valid.
	late := mustInvite(t, alpha, InviteOptions{})
	lt, _ := ParseToken(late)
	h := sha256.Sum256(lt.Secret)
	if _, err := alpha.db.Exec(`UPDATE invites SET expires=? WHERE secret_hash=?`, time.Now().Add(-time.Minute).Unix(), h[:]); err != nil {
		t.Fatal(err)
	}
	if _, _, err := charlie.svc.Join(ctx, late, ""); CodeOf(err) != CodeInviteExpired {
		t.Fatalf("expired invite: %v", err)
	}
	// Expired by the token's own date: refused before dialling.
	if _, err := alpha.svc.Invite(ctx, InviteOptions{TTL: -time.Second}); CodeOf(err) != CodeBadRequest {
		t.Fatalf("negative TTL: %v", err)
	}
	lt.Expires = time.Now().Add(-time.Hour).Unix()
	old, _ := lt.Encode()
	if _, _, err := charlie.svc.Join(ctx, old, ""); CodeOf(err) != CodeInviteExpired {
		t.Fatalf("expired token: %v", err)
	}
	// Bad names.
	if _, _, err := charlie.svc.Join(ctx, keep, "-bad"); CodeOf(err) != CodeBadRequest {
		t.Fatalf("bad name: %v", err)
	}
	// A member cannot join twice; a non-admin cannot invite.
	if _, _, err := bravo.svc.Join(ctx, keep, "other"); CodeOf(err) != CodeConflict {
		t.Fatalf("second join: %v", err)
	}
	if _, err := bravo.svc.Invite(ctx, InviteOptions{}); CodeOf(err) != CodeForbidden {
		t.Fatalf("non-admin invite: %v", err)
	}
	// Concurrent joins with a 2-use invite: exactly two succeed.
	two := mustInvite(t, alpha, InviteOptions{Uses: 2})
	e1, e2 := newTNode(t, "echo"), newTNode(t, "foxtrot")
	errs := make(chan error, 3)
	for _, n := range []*tnode{charlie, e1, e2} {
		go func() { _, _, err := n.svc.Join(ctx, two, ""); errs <- err }()
	}
	var ok, used int
	for range 3 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case CodeOf(err) == CodeInviteUsed:
			used++
		default:
			t.Errorf("concurrent join: %v", err)
		}
	}
	if ok != 2 || used != 1 {
		t.Fatalf("2-use invite: %d joined, %d refused as used", ok, used)
	}
	_ = delta
}

// A peer holding no certificate is refused at the connection when no
// invite is outstanding; while one is, it reaches the join protocol and
// nothing else.
func TestGateRefusesNonMembers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alpha := newTNode(t, "alpha")
	stranger := newTNode(t, "stranger")
	if err := stranger.dial(alpha); err != nil {
		t.Fatalf("a node in no workgroup should accept connections: %v", err)
	}
	mustCreate(t, alpha, "office")
	testutil.Eventually(t, 5*time.Second, func() error {
		if alpha.connected(stranger) {
			return errf("stranger still connected after alpha created a workgroup")
		}
		return nil
	})
	refused := func(h *p2p.Host) error {
		// The dialler may finish its half of the handshake before the
		// listener's gate closes the connection; what counts is that no
		// stream gets through and the connection does not last.
		_ = h.Host.Connect(ctx, alpha.info())
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if st, err := h.NewStream(sctx, alpha.host.ID(), p2p.ProtoJoin); err == nil {
			_ = wire.WriteFrame(st, JoinRequest{})
			var reply JoinReply
			err = wire.NewReader(st, 0).ReadFrame(&reply)
			st.Close()
			if err == nil {
				return errf("non-member got a join reply with no invite outstanding")
			}
		}
		// Probation ends such a connection within 3 s at the latest;
		// a loaded -race run needs the margin.
		deadline := time.Now().Add(10 * time.Second)
		for h.Network().Connectedness(alpha.host.ID()) == network.Connected || alpha.host.Network().Connectedness(h.ID()) == network.Connected {
			if time.Now().After(deadline) {
				return errf("non-member stays connected")
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}
	if err := refused(stranger.host); err != nil {
		t.Fatal(err)
	}
	// A bare libp2p host (no peerhood service at all) is refused too.
	bare := p2ptest.New(t, nil, p2ptest.WithLog(testLog()))
	// The bare host runs gossipsub and subscribes to the workgroup's
	// roster topic; alpha must send it nothing.
	wgID := alpha.svc.roster.Workgroups()[0].ID
	bps, err := bare.PubSub()
	if err != nil {
		t.Fatal(err)
	}
	btopic, err := bps.Join(TopicName(wgID))
	if err != nil {
		t.Fatal(err)
	}
	bsub, err := btopic.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	if err := refused(bare); err != nil {
		t.Fatal(err)
	}
	tok := mustInvite(t, alpha, InviteOptions{})
	if err := bare.Host.Connect(ctx, alpha.info()); err != nil {
		t.Fatalf("with an invite outstanding the join protocol must be reachable: %v", err)
	}
	for _, proto := range []protocol.ID{p2p.ProtoRoster, p2p.ProtoFiles} {
		st, err := bare.NewStream(ctx, alpha.host.ID(), proto)
		if err == nil {
			_ = wire.WriteFrame(st, SyncHello{})
			var reply SyncReply
			err = wire.NewReader(st, 0).ReadFrame(&reply)
			st.Close()
		}
		if err == nil {
			t.Fatalf("non-member got an answer on %s", proto)
		}
	}
	st, err := bare.NewStream(ctx, alpha.host.ID(), p2p.ProtoJoin)
	if err != nil {
		t.Fatal(err)
	}
	_ = wire.WriteFrame(st, JoinRequest{Workgroup: "x", Secret: make([]byte, 32), Name: "bare", AgeRecipient: newPeer(t).age})
	var reply JoinReply
	if err := wire.NewReader(st, 0).ReadFrame(&reply); err != nil || reply.Error == nil || reply.Error.Code != CodeInviteUnknown {
		t.Fatalf("join with a bad secret: %+v %v", reply.Error, err)
	}
	st.Close()
	time.Sleep(500 * time.Millisecond) // let gossipsub greet
	for _, p := range alpha.svc.topics[wgID].topic.ListPeers() {
		if p == bare.ID() {
			t.Fatal("alpha counts the non-member among the roster topic's peers")
		}
	}
	alpha.svc.publish(wgID, alpha.svc.roster.All(wgID))
	nctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	if m, err := bsub.Next(nctx); err == nil {
		t.Fatalf("non-member received gossip from %s", m.GetFrom())
	}
	cancel()
	mustJoin(t, stranger, tok, "")
	// The invite is spent: the bare host is cut off.
	testutil.Eventually(t, 5*time.Second, func() error {
		if bare.Network().Connectedness(alpha.host.ID()) == network.Connected {
			return errf("bare host still connected after the last invite was used")
		}
		return nil
	})
}

func TestTokenAddrs(t *testing.T) {
	t.Parallel()
	var in []ma.Multiaddr
	for _, s := range []string{"/ip4/127.0.0.1/tcp/1", "/ip6/fe80::1/tcp/1", "/ip4/192.168.1.2/tcp/1", "/ip4/0.0.0.0/tcp/1", "/ip4/8.8.8.8/udp/1/quic-v1"} {
		in = append(in, ma.StringCast(s))
	}
	got := strings.Join(tokenAddrs(in), " ")
	if got != "/ip4/8.8.8.8/udp/1/quic-v1 /ip4/192.168.1.2/tcp/1 /ip4/127.0.0.1/tcp/1" {
		t.Fatalf("token addresses: %s", got)
	}
}
