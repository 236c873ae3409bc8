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
		ok := s.admissible(m, logKey{wg, room}) == nil
		// The push fan-out's answer for p as a target is the same.
		if target, r := s.pushAllowed(logKey{wg, room}, []peer.ID{p}); r == nil || target[0] != ok {
			t.Fatalf("%s in %s: push target %v (room %v), admissible %v", p, room, target[0], r != nil, ok)
		}
		return ok
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

// noGenDir is a roster seen without its generation: nothing cached.
type noGenDir struct{ workgroup.Directory }

// BenchmarkAdmissible: the access check of one received room message,
// with the answers cached (the roster's generation) and without.
//
//	go test -run '^$' -bench Admissible -benchmem ./internal/chat/
func BenchmarkAdmissible(b *testing.B) {
	root, err := workgroup.NewRoot("office")
	if err != nil {
		b.Fatal(err)
	}
	_, alice := newPeer(b)
	roster := workgroup.NewRoster(alice)
	roster.AddWorkgroup(*root)
	id, _ := age.GenerateX25519Identity()
	raw, err := workgroup.IssueCert(workgroup.RootSigner(root.Key), workgroup.CertBody{Workgroup: root.ID, Name: "alice",
		Peer: []byte(alice), AgeRecipient: id.Recipient().String(), Groups: []string{"ops"}}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	roster.Merge(root.ID, workgroup.Bundle{Certs: [][]byte{raw}})
	rooms := map[string]map[string]*roomState{root.ID: {"ops": {name: "ops", creator: "someone", allow: []string{"group:ops"}}}}
	m := newMsg(body{Workgroup: root.ID, Room: "ops", Author: []byte(alice), Kind: KindText}, nil)
	k := logKey{root.ID, "ops"}
	b.Run("before", func(b *testing.B) { // admissible before the cache: two roster lookups
		s := &Service{dir: roster, rooms: rooms}
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := s.dir.Member(k.wg, m.author()); !ok {
				b.Fatal("not a member")
			}
			r := s.roomsOf(k.wg)[k.log]
			if r == nil || !allowedBy(r, m.author(), s.memberOf(k.wg)) {
				b.Fatal("not allowed")
			}
		}
	})
	b.Run("target/before", func(b *testing.B) { // pushAll's check of one target before session 11
		s := &Service{dir: roster, rooms: rooms}
		b.ReportAllocs()
		for b.Loop() {
			if !allowedBy(s.roomsOf(k.wg)[k.log], alice, s.memberOf(k.wg)) {
				b.Fatal("not allowed")
			}
		}
	})
	b.Run("target/cached", func(b *testing.B) { // pushAllowed of one target
		s := &Service{dir: roster, rooms: rooms}
		ps := []peer.ID{alice}
		b.ReportAllocs()
		for b.Loop() {
			if a, _ := s.pushAllowed(k, ps); !a[0] {
				b.Fatal("not allowed")
			}
		}
	})
	for _, c := range []struct {
		name string
		dir  workgroup.Directory
	}{{"cached", roster}, {"uncached", noGenDir{roster}}} {
		b.Run(c.name, func(b *testing.B) {
			s := &Service{dir: c.dir, rooms: rooms}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.admissible(m, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
