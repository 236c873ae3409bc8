package ircgw

import (
	"strings"
	"testing"
)

// TestTagmsgMsgid: irctest's message-tags testBasic and testLengthLimits
// on one node: a TAGMSG's echo and its relay to the node's other
// message-tags client carry the same msgid (message-ids: every TAGMSG,
// PRIVMSG and NOTICE has one), one of its own, and its client-only tags
// intact (escaping, a value right at the 4096-byte client tag limit),
// never a tag that is not client-only. Before: TAGMSG had no msgid.
func TestTagmsgMsgid(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	sender := dial(t, s)
	sender.register("message-tags", "echo-message")
	other := dial(t, s)
	other.register("message-tags")
	sender.send("JOIN #test")
	sender.until("366")
	other.until("366")
	big := strings.Repeat("a", 4081) // "@foo=bar;+baz=" + big + " " is 4096 bytes
	seen := map[string]bool{}
	for _, tc := range []struct {
		line string
		want map[string]string // client-only tags
	}{
		{`@+buzz=fizz\:buzz;cat=dog;+steel=wootz TAGMSG #test`, map[string]string{"+buzz": "fizz;buzz", "+steel": "wootz"}},
		{"@foo=bar;+baz=" + big + " TAGMSG #test", map[string]string{"+baz": big}},
		{"@+typing=active TAGMSG bob", map[string]string{"+typing": "active"}},
	} {
		sender.send(tc.line)
		var ids []string
		for _, c := range []*ircClient{sender, other} {
			ls := c.until("TAGMSG")
			l := ls[len(ls)-1]
			got := map[string]string{}
			id := ""
			for _, tag := range l.Tags {
				if tag.Key == "msgid" {
					id = tag.Value
				} else {
					got[tag.Key] = tag.Value
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("%.40s: tags %d, want %d", tc.line, len(got), len(tc.want))
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%.40s: tag %s = %.40q, want %.40q", tc.line, k, got[k], v)
				}
			}
			ids = append(ids, id)
		}
		if ids[0] == "" || ids[0] != ids[1] || seen[ids[0]] {
			t.Errorf("%.40s: msgids %q (echo, relay), want one, the same, new", tc.line, ids)
		}
		seen[ids[0]] = true
	}
}
