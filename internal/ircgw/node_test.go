package ircgw_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/davfs"
	"github.com/peerhood/peerhood/internal/ircgw"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// rc is a raw IRC client of a node's gateway.
type rc struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// ircDial logs in to nd's gateway with the node's token and caps.
func ircDial(t *testing.T, nd *testnet.Node, caps string) *rc {
	tok, err := davfs.LoadOrCreateToken(nd.Home)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", nd.IRC().Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	x := &rc{t: t, c: c, r: bufio.NewReader(c)}
	x.send("CAP LS 302", "CAP REQ :"+caps, "PASS "+tok, "NICK x", "USER u 0 * :r", "CAP END")
	x.until(func(l ircgw.Line) bool { return l.Command == "376" })
	return x
}

func (x *rc) send(ls ...string) {
	for _, l := range ls {
		fmt.Fprintf(x.c, "%s\r\n", l)
	}
}

func (x *rc) until(f func(ircgw.Line) bool) ircgw.Line {
	x.t.Helper()
	for {
		_ = x.c.SetReadDeadline(time.Now().Add(30 * time.Second))
		s, err := x.r.ReadString('\n')
		if err != nil {
			x.t.Fatal(err)
		}
		l, err := ircgw.ParseLine(s)
		if err != nil {
			x.t.Fatal(err)
		}
		if f(l) {
			return l
		}
	}
}

// TestIRCOverChat runs the gateway over the real chat service on two
// whole nodes (the daemon's adapter): JOIN creates the room in chat, a
// room message and a direct message cross from one node's IRC client to
// the other's, CHATHISTORY (LATEST, AROUND by msgid) answers from chat's
// history, AWAY reaches the other node as away-notify, and status shows
// the gateway's address. The room's creation does not JOIN bravo's client.
func TestIRCOverChat(t *testing.T) {
	t.Setenv("PEERHOOD_IRC_ADDR", "127.0.0.1:0")
	nw := testnet.New(t, "alpha", "bravo")
	nw.Workgroup("office")
	nw.WaitOnline("office")
	a := ircDial(t, nw.Node("alpha"), "server-time message-tags echo-message batch draft/chathistory away-notify multi-prefix")
	b := ircDial(t, nw.Node("bravo"), "server-time message-tags batch draft/chathistory away-notify multi-prefix")
	a.send("JOIN #general")
	a.until(func(l ircgw.Line) bool { return l.Command == "366" })
	testutil.Eventually(t, testnet.Converge, func() error {
		rs, _ := nw.Node("bravo").Chat().Rooms("office")
		if len(rs) == 0 {
			return fmt.Errorf("no room")
		}
		return nil
	})
	// bravo's chat got the room's creation (a directory entry, on every
	// node): its client is not pulled into the channel.
	b.send("PING :sentinel")
	if l := b.until(func(l ircgw.Line) bool { return l.Command == "PONG" || l.Command == "JOIN" }); l.Command == "JOIN" {
		t.Fatalf("bravo's client joined %s before it asked", l.Param(0))
	}
	b.send("JOIN #general")
	b.until(func(l ircgw.Line) bool { return l.Command == "366" })
	// no wait: a message sent before the gossip mesh forms comes by history sync
	a.send("PRIVMSG #general :hello over chat")
	a.until(func(l ircgw.Line) bool { return l.Command == "PRIVMSG" && l.Param(1) == "hello over chat" })
	m := b.until(func(l ircgw.Line) bool { return l.Command == "PRIVMSG" && l.Param(1) == "hello over chat" })
	if !strings.HasPrefix(m.Source, "alpha!") || m.Param(0) != "#general" {
		t.Fatalf("%v", m)
	}
	b.send("PRIVMSG alpha :a direct word")
	dm := a.until(func(l ircgw.Line) bool { return l.Command == "PRIVMSG" && l.Param(1) == "a direct word" })
	if !strings.HasPrefix(dm.Source, "bravo!") || dm.Param(0) != "alpha" {
		t.Fatalf("%v", dm)
	}
	b.send("CHATHISTORY LATEST #general * 10")
	b.until(func(l ircgw.Line) bool { return l.Command == "PRIVMSG" && l.Param(1) == "hello over chat" })
	b.until(func(l ircgw.Line) bool { return l.Command == "BATCH" && strings.HasPrefix(l.Param(0), "-") })
	id, _ := m.Get("msgid")
	b.send("CHATHISTORY AROUND #general msgid=" + id + " 3")
	b.until(func(l ircgw.Line) bool { return l.Command == "PRIVMSG" && l.Param(1) == "hello over chat" })
	b.send("CHATHISTORY LATEST alpha * 10")
	b.until(func(l ircgw.Line) bool { return l.Command == "PRIVMSG" && l.Param(1) == "a direct word" })
	a.send("AWAY :lunch")
	b.until(func(l ircgw.Line) bool { return l.Command == "AWAY" && strings.HasPrefix(l.Source, "alpha!") })
	b.send("WHO #general")
	b.until(func(l ircgw.Line) bool { return l.Command == "315" })
	var st apitypes.Status
	nw.Node("alpha").Must("GET", "/v1/status", nil, &st)
	if st.IRC != nw.Node("alpha").IRC().Addr() || st.IRC == "" {
		t.Errorf("status shows IRC %q, gateway on %q", st.IRC, nw.Node("alpha").IRC().Addr())
	}
}
