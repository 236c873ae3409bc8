package chat

import (
	"testing"
	"time"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// countingDir is a roster that counts the Member lookups.
type countingDir struct {
	*workgroup.Roster
	lookups int
}

func (d *countingDir) Member(wg string, p peer.ID) (workgroup.Member, bool) {
	d.lookups++
	return d.Roster.Member(wg, p)
}

// The access answers of admissible are cached (a second message of the
// same author in the same room asks the roster nothing), and every
// change takes effect at the next message: a new allow list of the room
// (a new fold), a member's groups reissued without the room's group, a
// revocation, a workgroup forgotten.
func TestAdmitCache(t *testing.T) {
	root, err := workgroup.NewRoot("office")
	if err != nil {
		t.Fatal(err)
	}
	wg := root.ID
	_, alice := newPeer(t)
	_, bob := newPeer(t)
	roster := workgroup.NewRoster(alice)
	roster.AddWorkgroup(*root)
	signer := workgroup.RootSigner(root.Key)
	issue := func(name string, p peer.ID, notBefore int64, groups ...string) {
		t.Helper()
		id, _ := age.GenerateX25519Identity()
		raw, err := workgroup.IssueCert(signer, workgroup.CertBody{Workgroup: wg, Name: name, Peer: []byte(p),
			AgeRecipient: id.Recipient().String(), Groups: groups, NotBefore: notBefore}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, refused := roster.Merge(wg, workgroup.Bundle{Certs: [][]byte{raw}}); refused != 0 {
			t.Fatal("certificate refused")
		}
	}
	issue("alice", alice, 0)
	issue("bob", bob, 0, "ops")
	dir := &countingDir{Roster: roster}
	s := &Service{dir: dir, rooms: map[string]map[string]*roomState{wg: {
		"general": {name: "general", creator: alice},
		"ops":     {name: "ops", creator: alice, allow: []string{"group:ops"}},
	}}}
	admitted := func(p peer.ID, room string) bool {
		m := &msg{body: body{Workgroup: wg, Room: room, Author: []byte(p), Kind: KindText}}
		return s.admissible(m, logKey{wg, room}) == nil
	}
	steps := []struct {
		name   string
		change func()
		want   map[string]bool // "who/room"
	}{
		{"start", func() {}, map[string]bool{"bob/general": true, "bob/ops": true, "alice/ops": true}},
		{"ops allow list changed", func() {
			s.mu.Lock()
			s.rooms = map[string]map[string]*roomState{wg: { // a new fold
				"general": s.rooms[wg]["general"],
				"ops":     {name: "ops", creator: alice, allow: []string{"carol"}},
			}}
			s.mu.Unlock()
		}, map[string]bool{"bob/general": true, "bob/ops": false, "alice/ops": true}},
		{"ops allow list back", func() {
			s.mu.Lock()
			s.rooms = map[string]map[string]*roomState{wg: {
				"general": s.rooms[wg]["general"],
				"ops":     {name: "ops", creator: alice, allow: []string{"group:ops"}},
			}}
			s.mu.Unlock()
		}, map[string]bool{"bob/general": true, "bob/ops": true, "alice/ops": true}},
		{"bob reissued without ops", func() {
			issue("bob", bob, time.Now().Unix()) // a later not-before wins

		}, map[string]bool{"bob/general": true, "bob/ops": false, "alice/ops": true}},
		{"bob revoked", func() {
			raw, err := workgroup.IssueRevocation(signer, wg, bob, "bob", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			roster.Merge(wg, workgroup.Bundle{Revs: [][]byte{raw}})
		}, map[string]bool{"bob/general": false, "bob/ops": false, "alice/ops": true}},
	}
	who := map[string]peer.ID{"alice": alice, "bob": bob}
	for _, st := range steps {
		st.change()
		for _, pass := range []string{"first", "cached"} {
			before := dir.lookups
			for key, want := range st.want {
				var name, room string
				for i := range key {
					if key[i] == '/' {
						name, room = key[:i], key[i+1:]
					}
				}
				if got := admitted(who[name], room); got != want {
					t.Fatalf("%s (%s): %s admitted %v, want %v", st.name, pass, key, got, want)
				}
			}
			if pass == "cached" && dir.lookups != before {
				t.Fatalf("%s: %d roster lookups for answers cached", st.name, dir.lookups-before)
			}
		}
	}
}
