package ircgw

import (
	"strings"
	"testing"
	"time"
)

// FuzzMsgRef parses CHATHISTORY references and msgids as a client sends
// them back (CHATHISTORY BEFORE msgid=..., +draft/reply, MARKREAD): the
// msgid the gateway gives a message, or any line of it, names that
// message again (its time and chat ID); and a reference accepted is
// "*", a time that prints back to itself, or a message's time and ID.
func FuzzMsgRef(f *testing.F) {
	f.Add(int64(1_750_000_000_123_456_789), "0a1b2c", uint8(0), "msgid=mi7h0a~0a1b2c")
	f.Add(int64(-1), "x~y", uint8(3), "timestamp=2026-12-01T10:00:00.5Z")
	f.Add(int64(0), "", uint8(1), "*")
	f.Add(int64(1<<62), "id", uint8(2), "msgid=-zz.7~id")
	f.Add(int64(5), "i", uint8(0), "timestamp=2026-12-01T10:00:00+02:00")
	f.Fuzz(func(t *testing.T, ns int64, id string, piece uint8, ref string) {
		if id != "" {
			m := Message{Time: time.Unix(0, ns).UTC(), ID: id}
			mid := ircMsgID(m)
			if piece > 0 {
				mid = pieceMsgID(m, int(piece))
			}
			tm, cid, ok := parseMsgID(mid)
			if !ok || !tm.Equal(m.Time) || cid != id {
				t.Fatalf("msgid %q of %v %q parses to %v %q %v", mid, m.Time, id, tm, cid, ok)
			}
			if r, ok := parseRef("msgid=" + mid); !ok || r.id != id || !r.t.Equal(m.Time) {
				t.Fatalf("reference msgid=%q: %+v %v", mid, r, ok)
			}
		}
		r, ok := parseRef(ref)
		if !ok {
			return
		}
		switch {
		case r.star:
			if ref != "*" {
				t.Fatalf("%q read as *", ref)
			}
		case r.id != "":
			if !strings.HasPrefix(ref, "msgid=") || !strings.HasSuffix(ref, "~"+r.id) {
				t.Fatalf("%q read as message %q", ref, r.id)
			}
		default:
			again, ok := parseRef("timestamp=" + r.t.Format(time.RFC3339Nano))
			if !ok || !again.t.Equal(r.t) || r.t.Location() != time.UTC {
				t.Fatalf("%q read as %v; printed back %+v %v", ref, r.t, again, ok)
			}
		}
	})
}
