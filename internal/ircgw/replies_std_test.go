package ircgw

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// refusingNode is alice's node whose chat refuses to send and whose
// presence cannot be set (a full disk, a closed store): the errors
// FAIL PRIVMSG CANNOT_SEND and FAIL AWAY CANNOT_SET answer.
type refusingNode struct{ *MemoryNode }

var errRefused = errors.New("store closed")

func (refusingNode) Say(context.Context, string, string, string, SendOptions) (Message, error) {
	return Message{}, errRefused
}

func (refusingNode) SetAway(context.Context, bool, string) error { return errRefused }

// TestStandardRepliesOnlyWithTheCap: the FAIL and WARN replies no
// command's specification enables go to a client with standard-replies
// only; one without gets the description as a server NOTICE, or only
// the numeric that says it (PRIVMSG's 404). FAIL CHATHISTORY stays a
// FAIL for every client (its specification's), and so does FAIL <cmd>
// INVALID_UTF8 (UTF8ONLY's). Before: every client got
// FAIL and WARN, which irssi, HexChat and ii do not know.
func TestStandardRepliesOnlyWithTheCap(t *testing.T) {
	tn := newTestNet(t)
	s := startGateway(t, tn.alice, func(c *Config) { c.Backend = refusingNode{tn.alice} })
	std := dial(t, s)
	std.register("standard-replies")
	plain := dial(t, s)
	plain.register()
	for _, c := range []*ircClient{std, plain} {
		c.send("JOIN #general", "PING :j")
		c.until("PONG")
	}
	for _, tc := range []struct {
		line      string
		std, none string // the replies, "CMD param param..." joined by " | "
	}{
		{"@ PING :x", "FAIL * INVALID_LINE Line refused: malformed tag", "NOTICE Line refused: malformed tag"},
		{":src", "FAIL * INVALID_LINE Line refused: malformed source", "NOTICE Line refused: malformed source"},
		{"PRIV\x00MSG #general :x", "FAIL * INVALID_LINE Line refused: NUL, CR or LF inside the line", "NOTICE Line refused: NUL, CR or LF inside the line"},
		{"MONITOR x", "FAIL MONITOR INVALID_PARAMS x MONITOR takes + nicks, - nicks, C, L or S", "NOTICE MONITOR takes + nicks, - nicks, C, L or S"},
		{"AWAY :lunch", "FAIL AWAY CANNOT_SET Cannot set your presence: store closed", "NOTICE Cannot set your presence: store closed"},
		{"PRIVMSG #general :hi", "FAIL PRIVMSG CANNOT_SEND #general store closed | 404 #general Cannot send: store closed", "404 #general Cannot send: store closed"},
		{"NOTICE #general :hi", "", ""},
		{"NOTICE #general :\xff", "", ""},
		// UTF8ONLY's own code, to every client (s16; was WARN and the command run with U+FFFD).
		{"WHOIS \xff", "FAIL WHOIS INVALID_UTF8 " + utf8Refused, "FAIL WHOIS INVALID_UTF8 " + utf8Refused},
		{"CHATHISTORY", "FAIL CHATHISTORY NEED_MORE_PARAMS * Missing parameters", "FAIL CHATHISTORY NEED_MORE_PARAMS * Missing parameters"},
	} {
		t.Run(strings.ToValidUTF8(tc.line, "?"), func(t *testing.T) {
			for _, c := range []*ircClient{std, plain} {
				want := tc.none
				if c == std {
					want = tc.std
				}
				c.send(tc.line, "PING :end")
				var got []string
				for _, l := range c.until("PONG") {
					if l.Command == "PONG" {
						break
					}
					ps := l.Params
					if l.Source == serverName && len(ps) > 0 && ps[0] == "alice" && l.Command != "FAIL" && l.Command != "WARN" {
						ps = ps[1:] // the numeric's or NOTICE's target
					}
					got = append(got, strings.TrimSpace(l.Command+" "+strings.Join(ps, " ")))
				}
				if g := strings.Join(got, " | "); g != want {
					t.Errorf("standard-replies %v: %q, want %q", c == std, g, want)
				}
			}
		})
	}
}
