package events

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
)

// FuzzLastEventID feeds a client's Last-Event-ID header and its kinds
// and workgroup query parameters to what the SSE handler does with them
// (ParseFilter, SubscribeAfterID) on a bus of 12 events that keeps the
// last 8. ParseID's ids print back (FormatID) to the same epoch and
// sequence number, and the replay is exactly what a model of the buffer
// gives: the matching events after a position this bus reached, after a
// gap event ("expired") when some of them left the buffer, or after a
// gap event ("reset") the whole buffer for any other id.
func FuzzLastEventID(f *testing.F) {
	for _, s := range []struct {
		id        string
		own       bool
		kinds, wg string
	}{
		{"-7", true, "", ""},
		{"-2", true, "member.joined", ""},
		{"-12", true, "presence.changed,member.joined", "a"},
		{"-13", true, "", ""},
		{"-0", true, "", "b"},
		{"-4", true, " member.joined , ,", ""},
		{"0badc0de-3", false, "", ""},
		{"-18446744073709551615", true, "", ""},
		{"-18446744073709551616", true, "", ""},
		{"--1", true, "", ""},
		{"-+1", true, "", ""},
		{"-007", true, "", ""},
		{"", false, "nope", ""},
		{"x", false, "gap", ""},
	} {
		f.Add(s.id, s.own, s.kinds, s.wg)
	}
	const published, kept = 12, 8
	b := New(Options{Replay: kept})
	defer b.Close()
	type sent struct {
		seq  uint64
		kind Kind
		wg   string
	}
	var all []sent
	for i := range published {
		wg := []string{"a", "b", ""}[i%3]
		if i%2 == 0 {
			b.Publish(wg, MemberJoined{Peer: "p"})
			all = append(all, sent{uint64(i + 1), KindMemberJoined, wg})
		} else {
			b.Publish(wg, PresenceChanged{Peer: "p", State: "online"})
			all = append(all, sent{uint64(i + 1), KindPresenceChanged, wg})
		}
	}
	f.Fuzz(func(t *testing.T, id string, own bool, kinds, wg string) {
		if own {
			id = b.Epoch() + id
		}
		epoch, seq, ok := ParseID(id)
		if ok {
			if epoch == "" {
				t.Fatalf("ParseID(%q): empty epoch", id)
			}
			if e2, s2, ok2 := ParseID(FormatID(epoch, seq)); !ok2 || e2 != epoch || s2 != seq {
				t.Fatalf("ParseID(%q) = %q %d; formatted again it parses to %q %d %v", id, epoch, seq, e2, s2, ok2)
			}
		}
		flt, err := ParseFilter(url.Values{"kinds": {kinds}, "workgroup": {wg}})
		if err != nil {
			return // 400
		}
		for _, k := range flt.Kinds {
			if !Known(k) {
				t.Fatalf("ParseFilter(%q) let through kind %q", kinds, k)
			}
		}
		sub, replay := b.SubscribeAfterID(flt, id)
		sub.Close()

		// The model.
		var wantGap string
		after := seq
		switch {
		case !ok || epoch != b.Epoch() || seq > published:
			wantGap, after = GapReset, 0
		case seq+1 < published-kept+1:
			wantGap = GapExpired
		}
		var want []uint64
		for _, e := range all[published-kept:] {
			if e.seq > after && flt.Match(Event{Kind: e.kind, Workgroup: e.wg}) {
				want = append(want, e.seq)
			}
		}
		if wantGap != "" {
			if len(replay) == 0 || replay[0].Kind != KindGap {
				t.Fatalf("id %q: replay %v, want a %s gap first", id, seqs(replay), wantGap)
			}
			var g Gap
			if err := json.Unmarshal(replay[0].Data, &g); err != nil || g.Reason != wantGap {
				t.Fatalf("id %q: gap %s, want %s (%v)", id, replay[0].Data, wantGap, err)
			}
			if wantGap == GapExpired && (g.From != seq+1 || g.To != published-kept || g.Lost != g.To-g.From+1) {
				t.Fatalf("id %q: gap %s", id, replay[0].Data)
			}
			replay = replay[1:]
		}
		if got := seqs(replay); !slices.Equal(got, want) {
			t.Fatalf("id %q kinds %q wg %q: replayed %v, want %v", id, kinds, wg, got, want)
		}
	})
}
