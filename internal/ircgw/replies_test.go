package ircgw

import (
	"strings"
	"testing"
)

// TestRepliesFollowModernIRC: the replies the s8 audit found diverging
// from modern.ircdocs.horse (before: 404 or 442 for a channel that does
// not exist, nothing for NAMES alone, 368 to a ban being set, 421 to
// MOTD, VERSION, TIME, LUSERS, USERHOST, a room created with upper case
// the chat refuses), and the error numerics the issue lists.
func TestRepliesFollowModernIRC(t *testing.T) {
	tn := newTestNet(t)
	c := dial(t, startGateway(t, tn.alice, nil))
	c.register()
	c.send("JOIN #general,#side", "PART #side")
	c.until("PART")
	for _, tc := range []struct {
		line string
		want []string // the reply lines' commands, in order
		text string   // in the last reply's parameters, when set
	}{
		{"PART #nope", []string{"403"}, ""},
		{"PART #side", []string{"442"}, ""},
		{"PRIVMSG #nope :x", []string{"403"}, ""},
		{"PRIVMSG #side :x", []string{"404"}, ""},
		{"NAMES", []string{"366"}, "*"},
		{"MODE #general", []string{"324", "329"}, ""},
		{"MODE #general b", []string{"368"}, ""},
		{"MODE #general +b x!*@*", []string{"482"}, ""},
		{"MODE #general +o bob", []string{"482"}, ""},
		{"USERHOST bob carol nobody", []string{"302"}, "bob=+bob@peerhood"},
		{"VERSION", []string{"351", "005"}, "CASEMAPPING=ascii"},
		{"TIME", []string{"391"}, ""},
		{"LUSERS", []string{"251", "255"}, ""},
		{"MOTD", []string{"375", "372", "372", "372", "372", "372", "376"}, ""},
		{"JOIN #Upper", []string{"JOIN", "331", "353", "366"}, "#upper"},
		{"JOIN #lab1/lab", []string{"JOIN", "331", "353", "366"}, "#lab1@lab"},
		{"JOIN #x/nolab", []string{"403"}, ""},
		{"WHOIS nobody", []string{"401", "318"}, ""},
		{"PRIVMSG bob", []string{"412"}, ""},
		{"PRIVMSG nobody :x", []string{"401"}, ""},
		{"FROB", []string{"421"}, ""},
		{"TOPIC", []string{"461"}, ""},
		{"PING", []string{"461"}, ""},
		{"NICK bob", []string{"433"}, ""},
		{"PASS x", []string{"462"}, ""},
	} {
		t.Run(tc.line, func(t *testing.T) {
			c.send(tc.line)
			got := c.until(tc.want[len(tc.want)-1])
			var cmds []string
			for _, l := range got {
				cmds = append(cmds, l.Command)
			}
			if strings.Join(cmds, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("replies %v, want %v: %s", cmds, tc.want, dump(got))
			}
			all := ""
			for _, l := range got {
				all += " " + strings.Join(l.Params, " ")
			}
			if !strings.Contains(all, tc.text) {
				t.Errorf("replies lack %q: %s", tc.text, dump(got))
			}
		})
	}
}
