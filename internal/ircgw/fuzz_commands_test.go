package ircgw

import (
	"strings"
	"testing"
)

// FuzzCommandLines sends one arbitrary line to a registered client with
// every capability, then a PING: the gateway answers the PING, so the
// line's handler neither panicked nor stopped serving the connection,
// and every line it sent back parses (read fails the test otherwise).
// FuzzParseLine covers the codec; this covers the command handlers.
func FuzzCommandLines(f *testing.F) {
	for _, s := range []string{
		"JOIN #general", "JOIN 0", "PART", "TOPIC #x", "MODE #general +b", "MODE alice",
		"WHOIS", "WHOIS a b", "WHO", "LIST", "ISON", "NAMES #general", "AWAY :lunch",
		"PRIVMSG bob/lab :\x01ACTION waves", "NOTICE #general@wg-lab :x", "TAGMSG #general",
		"CHATHISTORY LATEST * * 0", "CHATHISTORY BETWEEN #general msgid=1~x timestamp=2026-01-01T00:00:00.000Z 5",
		"CHATHISTORY AROUND bob msgid=~ -1", "CHATHISTORY TARGETS",
		"CHATHISTORY TARGETS timestamp=2030-01-01T00:00:00.000Z timestamp=1970-01-01T00:00:00.000Z 50",
		"CHATHISTORY targets timestamp=x timestamp= -3", "AUTHENTICATE PLAIN", "AUTHENTICATE *",
		"NICK bob", "NICK", "USER a 0 * :b", "PASS x", "CAP REQ :sasl", "CAP END", "PING",
		"@+draft/reply=x;time=y :alice!a@b PRIVMSG #general :hi", strings.Repeat("x", 600),
		"INVITE bob #general", "INVITE bob/lab #general@wg-lab", "KICK #general bob :x", "KICK #general", "INVITE",
		"WHOWAS bob 2", "HELP privmsg", "LINKS", "LINKS * peerhood", "STATS u x", "INFO *", "MODE alice -i+wx",
		"@+typing=active TAGMSG #general,bob", "TOPIC #general :caf\xe9",
		"MONITOR + bob,carol,nobody,bob/lab", "MONITOR - bob,,x", "MONITOR C", "MONITOR L", "MONITOR S", "MONITOR +", "MONITOR * a",
		"WHO #general %tcuhnfdar,743", "WHO * %cuhsnfdar", "WHO bob %zz,9999", "WHO b* %", "WHO 0 %t,", "WHO %n",
		// s15: client-only tags relayed, empty list items, CAP replies in lines.
		"@+x=1;+y;z=2 PRIVMSG #general,alice :t", "@+x=\\ NOTICE alice :n", "JOIN #a,,#b", "PART ,,#a :r", "JOIN ,",
		"CAP LS 302", "CAP LIST", "CAP LS", "MONITOR x", "AWAY :\xff",
		// s16: UTF8ONLY refusals, ASCII casemapping, NAMES lists, reply
		// tags naming no chat message, SASL after registration, MARKREAD.
		"@label=xyz PRIVMSG #general :hi\xaa", "USER u 0 * :J\xfcrgen", "PONG :\xff", "WHOIS \u212Aim", "JOIN #\u212Aitchen",
		"NAMES #general,#nope,", "@+draft/reply=ct95w3 PRIVMSG bob :x", "@+draft/reply=1~self.1 NOTICE #general :x",
		"AUTHENTICATE PLAIN", "MARKREAD #nope", "MARKREAD nobody timestamp=2020-01-01T00:00:00.000Z", "@+t=1 TAGMSG bob,#general",
		"@label=deadbeef NONEXISTENT_COMMAND", ":a!b@c X1 y", "@+t=1 12 x",
	} {
		f.Add(s)
	}
	tn := newTestNet(f)
	s := startGateway(f, tn.alice, nil)
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n\x00") {
			return // one line, and NUL is refused by the reader (FuzzParseLine)
		}
		if l, err := ParseLine(line); err == nil && strings.EqualFold(l.Command, "QUIT") {
			return // ends the connection, as it should
		}
		c := dial(t, s)
		c.register("account-notify", "account-tag", "away-notify", "batch", "extended-join", "extended-monitor", "draft/chathistory",
			"draft/read-marker", "echo-message", "labeled-response", "message-tags", "multi-prefix", "no-implicit-names",
			"server-time", "standard-replies", "userhost-in-names")
		c.send(line, "PING :fuzz-end")
		for {
			l, err := c.read()
			if err != nil {
				t.Fatalf("after %q: %v; read %s", line, err, dump(c.log))
			}
			if l.Command == "PONG" && l.Param(1) == "fuzz-end" {
				return
			}
		}
	})
}
