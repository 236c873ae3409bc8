package ircgw

import (
	"context"
	"fmt"
	"regexp"
	"testing"
)

// parentCheckingNode is alice's node whose chat reads a parent as chat
// does: an ID of its own form, or the send is refused (chat's parseRef:
// 64 hexadecimal digits; MemoryNet's IDs are m and six digits).
type parentCheckingNode struct{ *MemoryNode }

var memoryID = regexp.MustCompile(`^m[0-9]{6}$`)

func (n parentCheckingNode) check(opt SendOptions) error {
	if opt.Parent != "" && !memoryID.MatchString(opt.Parent) {
		return fmt.Errorf("invalid: message ID %q is not one of chat's", opt.Parent)
	}
	return nil
}

func (n parentCheckingNode) Say(ctx context.Context, wg, room, text string, opt SendOptions) (Message, error) {
	if err := n.check(opt); err != nil {
		return Message{}, err
	}
	return n.MemoryNode.Say(ctx, wg, room, text, opt)
}

func (n parentCheckingNode) Direct(ctx context.Context, wg, member, text string, opt SendOptions) (Message, error) {
	if err := n.check(opt); err != nil {
		return Message{}, err
	}
	return n.MemoryNode.Direct(ctx, wg, member, text, opt)
}

// TestReplyToNoChatMessage: irctest's regressions testTagCap. A
// +draft/reply naming no message chat keeps (another server's msgid, a
// message to one's own nick, a TAGMSG) is the client's tag, relayed as
// it is on the live delivery, and the message is sent; one naming a
// chat message is its parent. Before: it was given to chat as the
// parent, which chat refuses: the message was lost (404 CANNOT_SEND).
func TestReplyToNoChatMessage(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, func(c *Config) { c.Backend = parentCheckingNode{tn.alice} })
	c := dial(t, s)
	c.register("message-tags", "echo-message", "batch", "server-time")
	c.until("366")
	parent, err := tn.bob.Say(t.Context(), "wg-home", "general", "parent", SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pl := c.untilText("parent")
	parentID, _ := pl.Get("msgid")
	c.send("PRIVMSG alice :note")
	sl := c.untilText("note")
	selfID, _ := sl.Get("msgid")
	c.untilText("note") // its echo
	c.send("@+typing=active TAGMSG #general")
	tl := c.until("TAGMSG")
	tagID, _ := tl[len(tl)-1].Get("msgid")
	for i, tc := range []struct {
		reply, cmd string // the +draft/reply value, command and target
		parent     string // the stored message's parent
		echoed     string // the echo's +draft/reply
	}{
		{"ct95w3xemz8qj9du2h74wp8pee", "PRIVMSG bob", "", "ct95w3xemz8qj9du2h74wp8pee"},
		{"ct95w3xemz8qj9du2h74wp8pee", "PRIVMSG #general", "", "ct95w3xemz8qj9du2h74wp8pee"},
		{selfID, "PRIVMSG #general", "", selfID},
		{tagID, "NOTICE #general", "", tagID},
		{parentID, "PRIVMSG #general", parent.ID, parentID},
		{parent.ID, "PRIVMSG #general", parent.ID, parentID}, // written back as the parent's msgid
	} {
		text := fmt.Sprintf("reply %d", i)
		line := "@+draft/reply=" + tc.reply + " " + tc.cmd + " :" + text
		c.send(line, "PING :end")
		var echo Line
		for _, l := range c.until("PONG") {
			if l.Command == "PRIVMSG" || l.Command == "NOTICE" {
				echo = l
			} else if l.Command != "PONG" {
				t.Errorf("%s: %s", line, dump([]Line{l}))
			}
		}
		if got, _ := echo.Get("+draft/reply"); echo.Param(1) != text || got != tc.echoed {
			t.Errorf("%s: echo %s, want +draft/reply=%s", line, dump([]Line{echo}), tc.echoed)
		}
		if echo.Param(0) == "#general" {
			ms, _ := tn.alice.History(t.Context(), "wg-home", HistoryQuery{Room: "general", Limit: 1})
			if len(ms) != 1 || ms[0].Text != text || ms[0].Parent != tc.parent {
				t.Errorf("%s: stored %+v, want parent %q", line, ms, tc.parent)
			}
		}
	}
}
