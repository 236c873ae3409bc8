package events

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkPublish: one Publish with N subscribers that read (each on its
// own goroutine) or never read (marked slow: the counting path).
func BenchmarkPublish(b *testing.B) {
	for _, reading := range []bool{true, false} {
		for _, n := range []int{0, 1, 10, 100} {
			if n == 0 && !reading {
				continue
			}
			b.Run(fmt.Sprintf("subs=%d/reading=%v", n, reading), func(b *testing.B) {
				bus := New(Options{})
				var wg sync.WaitGroup
				for range n {
					s := bus.Subscribe(Filter{})
					if reading {
						wg.Go(func() {
							var buf []Event
							for {
								select {
								case <-s.Ready():
									buf = s.Take(buf[:0])
								case <-s.Done():
									return
								}
							}
						})
					}
				}
				p := TransferProgress{ID: "t", Direction: DirectionDownload, Share: "docs", Path: "a/b", Bytes: 1 << 20, Total: 1 << 30}
				b.ReportAllocs()
				for b.Loop() {
					bus.Publish("wg", p)
				}
				b.StopTimer()
				bus.Close()
				wg.Wait()
			})
		}
	}
}

// BenchmarkNext: the cost of receiving one event through Next.
func BenchmarkNext(b *testing.B) {
	bus := New(Options{Buffer: 1})
	defer bus.Close()
	s := bus.Subscribe(Filter{})
	ctx := context.Background()
	p := MemberJoined{Peer: "p"}
	for b.Loop() {
		bus.Publish("", p)
		if _, err := s.Next(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishChatMessage: one chat.message event, no subscriber
// (the encoding), by the payload's own encoder and by encoding/json.
func BenchmarkPublishChatMessage(b *testing.B) {
	m := ChatMessage{ID: strings.Repeat("ab", 32), Workgroup: "wg1", Room: "general", Author: "m3",
		AuthorID: "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo", Seq: 1234, Time: time.UnixMilli(1764500000123),
		Kind: "text", Text: "message 1234 from m3 with some text to carry"}
	for _, tc := range []struct {
		name string
		p    Payload
	}{{"appender", m}, {"json", jsonOnly(m)}} {
		b.Run(tc.name, func(b *testing.B) {
			bus := New(Options{})
			defer bus.Close()
			b.ReportAllocs()
			for b.Loop() {
				bus.Publish("wg1", tc.p)
			}
		})
	}
}

// jsonOnly is a ChatMessage without its own encoder.
type jsonOnly ChatMessage

func (jsonOnly) EventKind() Kind { return KindChatMessage }
