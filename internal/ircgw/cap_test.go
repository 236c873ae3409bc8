package ircgw

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestCapLines: capLines packs names in lines of at most max bytes.
func TestCapLines(t *testing.T) {
	for _, tc := range []struct {
		names []string
		max   int
		want  []string
	}{
		{nil, 10, []string{""}},
		{[]string{"a", "b"}, 10, []string{"a b"}},
		{[]string{"aaaa", "bbbb", "cc"}, 9, []string{"aaaa bbbb", "cc"}},
		{[]string{"aaaa", "bbbb", "cc"}, 8, []string{"aaaa", "bbbb cc"}},
		{[]string{"toolongname", "b"}, 5, []string{"toolongname", "b"}},
	} {
		if got := capLines(tc.names, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("capLines(%q, %d) = %q, want %q", tc.names, tc.max, got, tc.want)
		}
	}
}

// TestCapLSMultiline: a capability list longer than a line goes in
// several CAP LS (and LIST) lines, each within 512 bytes; to a client
// that sent CAP LS 302 every one but the last has "*" before the list
// (capability negotiation 302), to an older one none has. Before: one
// line, its list cut at 512 bytes by the writer.
func TestCapLSMultiline(t *testing.T) {
	saved := capabilities
	t.Cleanup(func() { capabilities = saved })
	capabilities = slices.Clone(capabilities)
	var extra []string
	for i := range 40 {
		name := fmt.Sprintf("vendor.example/capability-number-%02d", i)
		capabilities = append(capabilities, struct{ name, value string }{name, ""})
		extra = append(extra, name)
	}
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	for _, tc := range []struct {
		ls   string
		star bool
	}{{"CAP LS 302", true}, {"CAP LS", false}} {
		t.Run(tc.ls, func(t *testing.T) {
			c := dial(t, s)
			c.send(tc.ls)
			for i := 0; i < len(extra); i += 10 { // a REQ line holds 10
				c.send("CAP REQ :" + strings.Join(extra[i:i+10], " "))
			}
			c.send("CAP LIST", "PING :end")
			got := c.until("PONG")
			var ls, list []string
			for i, l := range got[:len(got)-1] {
				raw, err := Format(l)
				if err != nil || len(raw)+2 > MaxLine {
					t.Errorf("line %d is %d bytes (%v): %.60s", i, len(raw)+2, err, raw)
				}
				more := l.Param(2) == "*"
				caps := l.Params[len(l.Params)-1]
				switch l.Param(1) {
				case "LS":
					ls = append(ls, strings.Fields(caps)...)
				case "LIST":
					list = append(list, strings.Fields(caps)...)
				case "ACK":
					continue
				default:
					continue
				}
				last := i+1 == len(got)-1 || got[i+1].Param(1) != l.Param(1)
				if more != (tc.star && !last) {
					t.Errorf("CAP %s line %d: \"*\" %v, last %v: %s", l.Param(1), i, more, last, dump([]Line{l}))
				}
			}
			if len(got) < 5 {
				t.Fatalf("not multiline: %s", dump(got))
			}
			names := make([]string, 0, len(capabilities))
			for _, cp := range capabilities {
				if tc.star && cp.value != "" {
					names = append(names, cp.name+"="+cp.value)
				} else {
					names = append(names, cp.name)
				}
			}
			if !slices.Equal(ls, names) {
				t.Errorf("LS gave %q\nwant %q", ls, names)
			}
			want := slices.Clone(extra)
			if tc.star {
				want = append(want, "cap-notify")
			}
			slices.Sort(want)
			if !slices.Equal(list, want) {
				t.Errorf("LIST gave %q\nwant %q", list, want)
			}
		})
	}
}
