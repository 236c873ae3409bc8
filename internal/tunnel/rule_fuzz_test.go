package tunnel

import (
	"testing"

	"github.com/peerhood/peerhood/internal/share"
)

// FuzzParseRule parses access rules (share --allow WHO=ro|rw|none,
// service --allow WHO=use|none: the control API's and the CLI's words)
// with both parsers: a rule accepted prints back (WHO=RIGHT, as `share
// ls` and `service ls` show it) to a text that parses to the same rule,
// and the two parsers agree on who a rule names.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"alice", "alice=rw", " Alice=RO ", "*=none", "group:ops=use", "group:=ro", "group:a b", "bob=", "=rw", "x==ro", "*", "ALICE=None", "\u00c9mile=rw", "a\x00=ro"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sr, serr := share.ParseRule(s)
		if serr == nil {
			again, err := share.ParseRule(sr.Who + "=" + sr.Right)
			if err != nil || again != sr {
				t.Fatalf("share rule %q parsed to %+v, printed back to %+v (%v)", s, sr, again, err)
			}
		}
		tr, terr := ParseRule(s)
		if terr == nil {
			again, err := ParseRule(tr.Who + "=" + tr.Right)
			if err != nil || again != tr {
				t.Fatalf("service rule %q parsed to %+v, printed back to %+v (%v)", s, tr, again, err)
			}
			if tr.Right != RightUse && tr.Right != RightNone {
				t.Fatalf("service rule %q: right %q", s, tr.Right)
			}
			// The same WHO as a share rule names the same member.
			if w, err := share.ParseRule(tr.Who + "=ro"); err != nil || w.Who != tr.Who {
				t.Fatalf("service rule %q names %q; as a share rule %+v (%v)", s, tr.Who, w, err)
			}
		}
	})
}
