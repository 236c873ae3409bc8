package ircgw

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goldenEnv set to 1 rewrites testdata/unchanged/*.txt from the code
// under test (done once, from the code before labeled-response,
// userhost-in-names, no-implicit-names and standard-replies were
// offered: commit 0db012a).
const goldenEnv = "IRCGW_WRITE_GOLDEN"

// TestUnchangedForClientsWithoutTheNewCaps: a client that asks for none
// of the capabilities added in session 14 (no CAP at all, or every
// capability offered before) sees, line for line, what the gateway
// sent it before them (the transcripts in testdata/unchanged, written
// by the code before; times, msgids and dates are masked). Labels are
// in the script: without labeled-response they change nothing.
func TestUnchangedForClientsWithoutTheNewCaps(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps []string
	}{
		{"nocap", nil},
		{"oldcaps", []string{"account-notify", "account-tag", "away-notify", "batch", "cap-notify", "draft/chathistory",
			"draft/read-marker", "echo-message", "extended-join", "extended-monitor", "message-tags", "multi-prefix", "server-time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := transcript(t, tc.caps)
			path := filepath.Join("testdata", "unchanged", tc.name+".txt")
			if os.Getenv(goldenEnv) == "1" {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) || i < len(wl); i++ {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, g, w)
					}
				}
			}
		})
	}
}

var transcriptMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`time=[^; ]+`), "time=T"},
	{regexp.MustCompile(`msgid=[^; ]+`), "msgid=M"},
	{regexp.MustCompile(`timestamp=\S+`), "timestamp=T"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`), "DATE"},
	{regexp.MustCompile(`\b1\d{9}\b`), "UNIX"},
}

// transcript runs a fixed session for a client with caps and returns
// every line it got, masked, "step" lines between the commands.
func transcript(t *testing.T, caps []string) string {
	tn := newTestNet(t)
	if _, err := tn.bob.CreateRoom(t.Context(), "wg-home", "general", "the topic", nil); err != nil {
		t.Fatal(err)
	}
	c := dial(t, startGateway(t, tn.alice, nil))
	var b strings.Builder
	write := func(ls []Line) {
		for _, l := range ls {
			s, err := Format(l)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range transcriptMasks {
				s = m.re.ReplaceAllString(s, m.with)
			}
			b.WriteString(s + "\n")
		}
	}
	write(c.register(caps...))
	for i, cmd := range []string{
		"JOIN #general",
		"SAY hello", // bob says it
		"NAMES #general",
		"@label=x PRIVMSG #general :hi",
		"@label=y NOTICE #nope :x",
		"@label=z PING :a",
		"@label=w PONG :nothing",
		"WHO #general",
		"WHOIS bob",
		"MODE #general",
		"TOPIC #general :new topic",
		"FROB",
		"PRIVMSG #general :" + strings.Repeat("x", 600),
		"PRIVMSG bob :direct",
		"CAP LIST",
		"JOIN #other,#general@lab",
		"PART #other",
		"CHATHISTORY LATEST #general * 5",
		"MARKREAD #general",
		"MONITOR + bob,carol",
		"MONITOR x",
		"AWAY :brb",
		"AWAY",
		"LIST",
	} {
		fmt.Fprintf(&b, "step %d: %.60s\n", i, cmd)
		if text, ok := strings.CutPrefix(cmd, "SAY "); ok {
			if _, err := tn.bob.Say(t.Context(), "wg-home", "general", text, SendOptions{}); err != nil {
				t.Fatal(err)
			}
			c.untilText(text)
			write(c.log[len(c.log)-1:])
			continue
		}
		tok := fmt.Sprintf("step-%d", i)
		c.send(cmd, "PING :"+tok)
		var ls []Line
		for {
			l, err := c.read()
			if err != nil {
				t.Fatalf("step %d: %v; read %s", i, err, dump(ls))
			}
			if l.Command == "PONG" && l.Param(1) == tok {
				break
			}
			ls = append(ls, l)
		}
		write(ls)
	}
	return b.String()
}
