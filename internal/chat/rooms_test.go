package chat

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/workgroup"
)

func newPeer(t testing.TB) (crypto.PrivKey, peer.ID) {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := peer.IDFromPrivateKey(k)
	return k, id
}

// The room directory folds in display order: the first acl entry of a
// name creates the room; later ones count from its creator or an admin
// only; a topic counts from a member allowed in.
func TestFoldRooms(t *testing.T) {
	type who struct {
		key  crypto.PrivKey
		id   peer.ID
		name string
	}
	mk := func(name string) who { k, id := newPeer(t); return who{k, id, name} }
	alice, bob, carol, admin := mk("alice"), mk("bob"), mk("carol"), mk("admin")
	members := map[peer.ID]workgroup.Member{}
	for _, w := range []who{alice, bob, carol, admin} {
		members[w.id] = workgroup.Member{Name: w.name, PeerID: w.id, Groups: map[string][]string{"carol": {"ops"}}[w.name]}
	}
	member := func(p peer.ID) (workgroup.Member, bool) { m, ok := members[p]; return m, ok }
	isAdmin := func(p peer.ID) bool { return p == admin.id }
	var hlc uint64 = 1 << 30
	entry := func(w who, kind, room, text string, allow ...string) *msg {
		hlc++
		m, err := sign(w.key, body{V: version, Workgroup: "wg", Room: room, Author: []byte(w.id), Seq: 1, HLC: hlc, Kind: kind, Text: text, Allow: allow})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name    string
		log     []*msg
		allow   string // joined, "" open
		topic   string
		bobIn   bool
		carolIn bool
	}{
		{"open room", []*msg{entry(alice, KindACL, "r", "")}, "", "", true, true},
		{"allow list", []*msg{entry(alice, KindACL, "r", "", "bob")}, "bob", "", true, false},
		{"group", []*msg{entry(alice, KindACL, "r", "", "group:ops")}, "group:ops", "", false, true},
		{"non-creator cannot change", []*msg{entry(alice, KindACL, "r", "", "bob"), entry(bob, KindACL, "r", "", "carol")}, "bob", "", true, false},
		{"admin can change", []*msg{entry(alice, KindACL, "r", "", "bob"), entry(admin, KindACL, "r", "", "carol")}, "carol", "", false, true},
		{"creator reopens", []*msg{entry(alice, KindACL, "r", "", "bob"), entry(alice, KindACL, "r", "")}, "", "", true, true},
		{"topic by allowed", []*msg{entry(alice, KindACL, "r", "", "bob"), entry(bob, KindTopic, "r", "hi")}, "bob", "hi", true, false},
		{"topic by outsider ignored", []*msg{entry(alice, KindACL, "r", "", "bob"), entry(carol, KindTopic, "r", "spam")}, "bob", "", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := foldRooms(tc.log, isAdmin, member)["r"]
			if r == nil || r.creator != alice.id {
				t.Fatalf("room %+v", r)
			}
			if got := strings.Join(r.allow, ","); got != tc.allow || r.topic != tc.topic {
				t.Fatalf("allow %q topic %q, want %q %q", got, r.topic, tc.allow, tc.topic)
			}
			if allowedBy(r, bob.id, member) != tc.bobIn || allowedBy(r, carol.id, member) != tc.carolIn || !allowedBy(r, alice.id, member) {
				t.Fatal("wrong access")
			}
		})
	}
}

// Message bodies out of their bounds are refused before any signature.
func TestBodyCheck(t *testing.T) {
	_, id := newPeer(t)
	ref := make([]byte, 32)
	ok := body{V: version, Workgroup: "wg", Room: "general", Author: []byte(id), Seq: 1, HLC: 1, Kind: KindText, Text: "hi"}
	tests := []struct {
		name string
		edit func(*body)
	}{
		{"version", func(b *body) { b.V = 2 }},
		{"no workgroup", func(b *body) { b.Workgroup = "" }},
		{"seq 0", func(b *body) { b.Seq = 0 }},
		{"seq 2 without prev", func(b *body) { b.Seq = 2 }},
		{"seq 1 with prev", func(b *body) { b.Prev = ref }},
		{"seq 2^63 (not an SQLite integer)", func(b *body) { b.Seq, b.Prev = 1<<63, ref }},
		{"seq 2^64-1", func(b *body) { b.Seq, b.Prev = 1<<64-1, ref }},
		{"text too long", func(b *body) { b.Text = strings.Repeat("x", MaxText+1) }},
		{"bad utf-8", func(b *body) { b.Text = "\xff" }},
		{"bad room", func(b *body) { b.Room = "Bad Room" }},
		{"unknown kind", func(b *body) { b.Kind = "shout" }},
		{"edit without target", func(b *body) { b.Kind = KindEdit }},
		{"alert to a room", func(b *body) { b.Kind = KindAlert }},
		{"dm with a room", func(b *body) { b.To = []byte(id) }},
		{"allow on text", func(b *body) { b.Allow = []string{"x"} }},
		{"short reference", func(b *body) { b.Parent = []byte{1} }},
	}
	if err := ok.check(); err != nil {
		t.Fatalf("valid body refused: %v", err)
	}
	for _, tc := range tests {
		b := ok
		tc.edit(&b)
		if err := b.check(); !errors.Is(err, errBadMessage) {
			t.Errorf("%s: %v, want a refusal", tc.name, err)
		}
	}
}
