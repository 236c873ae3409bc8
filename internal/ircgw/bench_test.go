package ircgw

import (
	"fmt"
	"testing"
)

var benchLine = "@time=2026-11-30T07:11:24.670Z;msgid=dn8cwmyh54kw~m000002 :bob!bob@peerhood PRIVMSG #general :hello there, how is the build going today?"

func BenchmarkParseLine(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLine(benchLine); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	l, _ := ParseLine(benchLine)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Format(l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoomMessage: one room message from another member, from the
// event bus to N clients over TCP (each reads it).
func BenchmarkRoomMessage(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			tn := newTestNet(b)
			if _, err := tn.alice.CreateRoom(b.Context(), "wg-home", "general", "", nil); err != nil {
				b.Fatal(err)
			}
			s := startGateway(b, tn.alice, nil)
			var cs []*ircClient
			for range n {
				c := dial(b, s)
				c.register("server-time", "message-tags")
				c.until("366")
				cs = append(cs, c)
			}
			i := 0
			for b.Loop() {
				i++
				text := fmt.Sprintf("msg %d", i)
				if _, err := tn.net.Post("wg-home", "general", "bob", text); err != nil {
					b.Fatal(err)
				}
				for _, c := range cs {
					c.untilText(text)
				}
			}
		})
	}
}

// BenchmarkGoid: what telling a labeled command's reply from another
// goroutine's line costs per line written while a label is open.
func BenchmarkGoid(b *testing.B) {
	for b.Loop() {
		_ = goid()
	}
}
