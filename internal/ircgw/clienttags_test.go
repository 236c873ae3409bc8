package ircgw

import (
	"strings"
	"testing"
)

// TestClientTagsRelayed: a PRIVMSG's or NOTICE's client-only tags
// (message-tags: "MUST be relayed on PRIVMSG and NOTICE") go as they are
// with its delivery to the node's clients that have message-tags, its
// echo included; a tag without '+' is dropped; a client without
// message-tags gets none; chat keeps no tags, so CHATHISTORY has none.
// Before: every client-only tag but +draft/reply was dropped.
func TestClientTagsRelayed(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, nil)
	sender := dial(t, s)
	sender.register("message-tags", "echo-message", "draft/chathistory")
	other := dial(t, s)
	other.register("message-tags")
	plain := dial(t, s)
	plain.register()
	sender.send("JOIN #general", "PING :j")
	sender.until("PONG")
	for _, c := range []*ircClient{other, plain} {
		c.until("366")
	}
	// tagsOf is l's tags but msgid and time, "key=value" joined by ";".
	tagsOf := func(l Line) string {
		var out []string
		for _, tag := range l.Tags {
			if tag.Key != "msgid" && tag.Key != "time" && tag.Key != "batch" {
				out = append(out, tag.Key+"="+tag.Value)
			}
		}
		return strings.Join(out, ";")
	}
	for _, tc := range []struct {
		line, text, want string
	}{
		{"@+example.com/icon=a\\sb;vendor/plain=x;+typing=done PRIVMSG #general :tagged", "tagged", "+example.com/icon=a b;+typing=done"},
		{"@+x=1 NOTICE #general :noticed", "noticed", "+x=1"},
		{"@+x=2 PRIVMSG alice :to myself", "to myself", "+x=2"},
		{"PRIVMSG #general :untagged", "untagged", ""},
	} {
		sender.send(tc.line)
		for _, c := range []*ircClient{sender, other, plain} {
			got := tagsOf(c.untilText(tc.text))
			want := tc.want
			if c == plain {
				want = ""
			}
			if got != want {
				t.Errorf("%s: client %d got tags %q, want %q", tc.line, map[*ircClient]int{sender: 0, other: 1, plain: 2}[c], got, want)
			}
		}
	}
	sender.send("CHATHISTORY LATEST #general * 10", "PING :h")
	for _, l := range sender.until("PONG") {
		if l.Command == "PRIVMSG" || l.Command == "NOTICE" {
			if got := tagsOf(l); got != "" {
				t.Errorf("CHATHISTORY %q has client tags %q: chat keeps none", l.Param(1), got)
			}
		}
	}
}
