package ircgw

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestMarksMoveOnPong: a last-seen mark moves only when the client
// answers the PING written after the message's line. A client that
// read the line but QUIT without answering (the race of a line written
// to a client closing its connection, its QUIT not read yet) is played
// it back on its next connection; one that answered is not (exactly
// once), also with another client of the same member that did not
// answer connected at the same time.
func TestMarksMoveOnPong(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	s := startGateway(t, tn.alice, nil)
	post := func(text string) {
		t.Helper()
		if _, err := tn.net.Post("wg-home", "general", "bob", text); err != nil {
			t.Fatal(err)
		}
	}
	connect := func(silent bool) *ircClient {
		c := dial(t, s)
		c.silent = silent
		c.register()
		c.until("366")
		return c
	}
	played := func() string {
		t.Helper()
		c := connect(false)
		c.send("PING :end")
		var texts []string
		for _, l := range c.until("PONG") {
			if l.Command == "PRIVMSG" {
				texts = append(texts, l.Param(1))
			}
		}
		c.quit(s)
		return strings.Join(texts, " ")
	}

	// The first visit is played back nothing (no message yet).
	a := connect(true)
	post("r1")
	a.untilText("r1") // written, even read, but not acknowledged
	a.send("QUIT")
	a.closed()
	if got := played(); got != "r1" {
		t.Fatalf("after a QUIT without PONG: played back %q, want r1", got)
	}
	if got := played(); got != "" {
		t.Fatalf("after a visit that answered: played back %q, want nothing", got)
	}

	// Two clients of the member: one answers, one does not.
	quiet, answering := connect(true), connect(false)
	post("r2")
	quiet.untilText("r2")
	answering.untilText("r2")
	quiet.send("QUIT")
	quiet.closed()
	post("r3")
	answering.untilText("r3")
	answering.quit(s)
	if got := played(); got != "" {
		t.Fatalf("after another client of the member answered: played back %q, want nothing", got)
	}
	// ...and a message only the silent one was written is played back.
	quiet = connect(true)
	post("r4")
	quiet.untilText("r4")
	quiet.send("QUIT")
	quiet.closed()
	if got := played(); got != "r4" {
		t.Fatalf("played back %q, want r4", got)
	}
}

// TestMarkPongsCostNoFloodBudget: a client answering a PING per message
// of a busy room is not disconnected for flooding; other lines still
// count.
func TestMarkPongsCostNoFloodBudget(t *testing.T) {
	tn := newTestNet(t)
	if _, err := tn.alice.CreateRoom(t.Context(), "wg-home", "general", "", nil); err != nil {
		t.Fatal(err)
	}
	const burst = 10
	s := startGateway(t, tn.alice, func(c *Config) { c.FloodBurst, c.FloodEvery = burst, time.Hour })
	c := dial(t, s)
	c.register()
	c.until("366")
	// Each message is acknowledged before the next: 3*burst PONGs.
	for i := range 3 * burst {
		text := fmt.Sprint("busy", i)
		if _, err := tn.net.Post("wg-home", "general", "bob", text); err != nil {
			t.Fatal(err)
		}
		if got := c.untilMarkPing(); got[len(got)-1].Param(1) != text {
			t.Fatalf("before the mark PING: %q %s", got, dump(got))
		}
	}
	c.send("PING :alive")
	c.until("PONG")
	// One write: the gateway may close the connection before reading
	// them all.
	_, _ = io.WriteString(c.conn, strings.Repeat("PING :over\r\n", burst))
	if got := c.closed(); got[len(got)-1].Command != "ERROR" || !strings.Contains(got[len(got)-1].Param(0), "Excess Flood") {
		t.Fatalf("other lines beyond the budget: %s", dump(got[len(got)-1:]))
	}
}
