package testnet_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// hostileStreams is how many streams the hostile member opens of each
// protocol at once.
const hostileStreams = 2000

// Bounds of TestHostileMemberIsBounded. One member may have
// p2p.PeerStreamsInbound (256) streams served at once and make the node
// hold p2p.PeerMemory (64 MiB) for them; a goroutine serves each, and a
// few more per stream come and go while streams are refused.
const (
	hostileGoroutines = 3 * p2p.PeerStreamsInbound
	hostileHeap       = p2p.PeerMemory + 32<<20
	// hugeFrame is what a header announces: the largest cap of a request
	// frame (spool's), above which every reader refuses at once.
	hugeFrame = 4 << 20
	// honestWait bounds each request of the honest member during an
	// attack: generous, for a loaded 2-core machine; unanswered, it
	// would wait for good.
	honestWait = 20 * time.Second
)

// One member turned hostile (a bare host with its node's key) opens
// hostileStreams streams at once of each protocol the node serves to
// members (listed from its live host, as TestEveryStreamChecksMembership
// does), a quarter each: silent (the protocol named, nothing more), a
// plausible first request whose reply it never reads, a frame header
// announcing 4 MiB (spool's cap, the largest of a request) and nothing
// more, a frame trickled a byte every 500 ms; and, first, as many
// streams that never name a protocol. While they are held, the node's
// goroutines and live heap (the whole test process: every node and the
// attacker) stay within a bound set by the per-peer limits, not by the
// streams opened, and another member's share listing, room message,
// direct message and mail reach the node, each within honestWait. Once
// the attacker resets its streams, the node holds none of them and the
// goroutines go back to what they were.
func TestHostileMemberIsBounded(t *testing.T) {
	// Not parallel: it measures the process's goroutines and heap.
	office := testnet.New(t, "alpha", "bravo", "mallory")
	office.Workgroup("office")
	alpha, bravo, mallory := office.Node("alpha"), office.Node("bravo"), office.Node("mallory")
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "report.txt"), []byte("quarterly"), 0o644); err != nil {
		t.Fatal(err)
	}
	alpha.Must(http.MethodPost, "/v1/shares", map[string]any{"name": "docs", "path": docs, "workgroup": "office"}, nil)
	alpha.Must(http.MethodPost, "/v1/rooms", map[string]any{"workgroup": "office", "name": "hall"}, nil)
	var wgs []struct {
		ID string `json:"id"`
	}
	alpha.Must(http.MethodGet, "/v1/workgroups", nil, &wgs)
	if len(wgs) != 1 {
		t.Fatalf("alpha's workgroups: %+v", wgs)
	}
	wgID := wgs[0].ID

	// mallory's node stops; a bare host with its key, a member, attacks.
	id, _, err := identity.LoadOrCreate(mallory.Home)
	if err != nil {
		t.Fatal(err)
	}
	mallory.Stop()
	h := rawHost(t, id.Key, false)
	connect(t, h, alpha)

	// The honest member works before the attack (and the lazy parts of
	// every service are warm: the measures compare like with like).
	if err := honest(bravo, alpha, "warm-up"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		if !slices.ContainsFunc(alpha.Host().Mux().Protocols(), isDHT) {
			return errors.New("alpha serves no workgroup DHT yet")
		}
		return nil
	})
	var protos []protocol.ID
	for _, p := range alpha.Host().Mux().Protocols() {
		if _, open := openToAll[p]; !open {
			protos = append(protos, p)
		}
	}
	slices.Sort(protos)
	t.Logf("alpha serves members %d protocols: %v", len(protos), protos)
	// First, streams that never name a protocol: libp2p's negotiation
	// holds them (10 s), within the per-peer stream limit.
	protos = append([]protocol.ID{""}, protos...)

	baseG, baseH := runtime.NumGoroutine(), heapAfterGC()
	t.Logf("before: %d goroutines, live heap %d MiB", baseG, baseH>>20)
	for _, p := range protos {
		name := strings.ReplaceAll(strings.TrimPrefix(string(p), "/peerhood/"), "/", "_")
		if p == "" {
			name = "no-protocol"
		}
		t.Run(name, func(t *testing.T) {
			if alpha.Host().Network().Connectedness(h.ID()) != network.Connected {
				connect(t, h, alpha) // a previous round's may have been cut
			}
			t0 := time.Now()
			a := attack(t, h, alpha.Host().ID(), p, wgID)
			t.Logf("attack opened in %v", time.Since(t0))
			defer a.stop()
			// Every stream reached alpha: its handlers hold what they hold.
			peakG, peakH := runtime.NumGoroutine(), heapAfterGC()
			served := servedIn(alpha, h.ID())
			start := time.Now()
			herr := honest(bravo, alpha, strings.ReplaceAll(string(p), "/", "-"))
			took := time.Since(start)
			peakG, peakH = max(peakG, runtime.NumGoroutine()), max(peakH, heapAfterGC())
			t.Logf("%d streams opened (%d refused at once), %d served; goroutines %+d, live heap %+d MiB; honest member's 4 requests %v",
				a.opened, a.refused, served, peakG-baseG, (int64(peakH)-int64(baseH))>>20, took.Round(time.Millisecond))
			if herr != nil {
				t.Errorf("the honest member during the attack: %v", herr)
			}
			if d := peakG - baseG; d > hostileGoroutines {
				t.Errorf("goroutines rose by %d, bound %d", d, hostileGoroutines)
			}
			if d := int64(peakH) - int64(baseH); d > hostileHeap {
				t.Errorf("the live heap rose by %d MiB, bound %d MiB", d>>20, hostileHeap>>20)
			}
			a.stop()
			t1 := time.Now()
			defer func() { t.Logf("cleanup took %v", time.Since(t1)) }()
			// Once the streams are gone their handlers end (each on its
			// reset, not on a deadline).
			testutil.Eventually(t, testnet.Converge, func() error {
				if n := servedIn(alpha, h.ID()); n > 0 {
					return fmt.Errorf("alpha still serves the attacker %d streams", n)
				}
				if d := runtime.NumGoroutine() - baseG; d > 64 {
					return fmt.Errorf("%d goroutines more than before the attack", d)
				}
				return nil
			})
		})
	}
}

// honest makes bravo list alpha's share, say something in hall, send
// alpha a direct message and a mail, each seen on alpha within
// honestWait.
func honest(bravo, alpha *testnet.Node, tag string) error {
	within := func(what string, f func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), honestWait)
		defer cancel()
		var err error
		for {
			if err = f(ctx); err == nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: not within %v: %w", what, honestWait, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	inHistory := func(q, text string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			var ms []struct {
				Text string `json:"text"`
			}
			if err := alpha.Client.Do(ctx, http.MethodGet, "/v1/chat/history?workgroup=office&"+q, nil, &ms); err != nil {
				return err
			}
			if !slices.ContainsFunc(ms, func(m struct {
				Text string `json:"text"`
			}) bool {
				return m.Text == text
			}) {
				return fmt.Errorf("alpha has no %q in %s", text, q)
			}
			return nil
		}
	}
	do := func(nd *testnet.Node, method, path string, req any) func(ctx context.Context) error {
		return func(ctx context.Context) error { return nd.Client.Do(ctx, method, path, req, nil) }
	}
	say, dm, subject := "say "+tag, "dm "+tag, "mail "+tag
	steps := []struct {
		what string
		f    func(ctx context.Context) error
	}{
		{"ls alpha:docs", func(ctx context.Context) error {
			var ls struct {
				Entries []struct {
					Name string `json:"name"`
				} `json:"entries"`
			}
			if err := bravo.Client.Do(ctx, http.MethodGet, "/v1/files/ls?workgroup=office&target="+url.QueryEscape("alpha:docs"), nil, &ls); err != nil {
				return err
			}
			if len(ls.Entries) != 1 || ls.Entries[0].Name != "report.txt" {
				return fmt.Errorf("ls alpha:docs: %+v", ls.Entries)
			}
			return nil
		}},
		{"say in hall", do(bravo, http.MethodPost, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "hall", "text": say})},
		{"alpha has the room message", inHistory("room=hall", say)},
		{"direct message", do(bravo, http.MethodPost, "/v1/chat/msg", map[string]string{"workgroup": "office", "member": "alpha", "text": dm})},
		{"alpha has the direct message", inHistory("peer=bravo", dm)},
		{"mail", do(bravo, http.MethodPost, "/v1/mail/send", map[string]any{"workgroup": "office", "to": []string{"alpha"}, "subject": subject, "body": "b"})},
		{"alpha has the mail", func(ctx context.Context) error {
			var ms []struct {
				Subject string `json:"subject"`
			}
			if err := alpha.Client.Do(ctx, http.MethodGet, "/v1/mail", nil, &ms); err != nil {
				return err
			}
			for _, m := range ms {
				if m.Subject == subject {
					return nil
				}
			}
			return fmt.Errorf("alpha has no mail %q", subject)
		}},
	}
	for _, s := range steps {
		if err := within(s.what, s.f); err != nil {
			return err
		}
	}
	return nil
}

// siege is one protocol's attack: the streams it holds.
type siege struct {
	mu       sync.Mutex
	streams  []network.Stream
	opened   int
	refused  int
	stopDrip chan struct{}
	once     sync.Once
}

// attack opens hostileStreams streams of p from h to to, at most 64
// opening at a time, in four kinds (see TestHostileMemberIsBounded), and
// returns once each is open and has sent what it sends first.
func attack(t *testing.T, h host.Host, to peer.ID, p protocol.ID, wgID string) *siege {
	t.Helper()
	s := &siege{stopDrip: make(chan struct{})}
	wait := testnet.Converge
	if p == "" {
		// The node's negotiation holds each such stream 10 s; the
		// attacker's own muxer makes it wait meanwhile. What opened in
		// 5 s is held.
		wait = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var drip []network.Stream
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range hostileStreams {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var st network.Stream
			var err error
			if p == "" {
				st, err = h.Network().NewStream(ctx, to)
			} else {
				st, err = h.NewStream(ctx, to, p)
			}
			if err != nil {
				s.mu.Lock()
				s.refused++
				s.mu.Unlock()
				return
			}
			first := []byte{} // silent: the protocol's name, and nothing
			switch i % 4 {
			case 0: // silent
			case 1: // a request, its reply never read
				first = firstFrame(p, wgID)
			case 2: // a header announcing a large frame, and nothing more
				first = binary.AppendUvarint(nil, hugeFrame)
			case 3: // a frame trickled: its header now, a byte now and then
				first = binary.AppendUvarint(nil, 1000)
			}
			// The first write sends the protocol's name too (libp2p
			// negotiates lazily); the stream may be refused meanwhile.
			// A stream of no protocol sends nothing at all.
			if p != "" {
				_ = st.SetWriteDeadline(time.Now().Add(testnet.Converge))
				_, _ = st.Write(first)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			s.streams = append(s.streams, st)
			s.opened++
			if i%4 == 3 && p != "" {
				drip = append(drip, st)
			}
		})
	}
	wg.Wait()
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.stopDrip:
				return
			case <-tick.C:
			}
			for _, st := range drip {
				_ = st.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
				_, _ = st.Write([]byte{0xa0})
			}
		}
	}()
	return s
}

// stop resets every stream of the attack.
func (s *siege) stop() {
	s.once.Do(func() {
		close(s.stopDrip)
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, st := range s.streams {
			_ = st.Reset()
		}
	})
}

// servedIn is how many streams peer p has open towards nd (every
// protocol).
func servedIn(nd *testnet.Node, p peer.ID) int {
	var n int
	_ = nd.Host().Network().ResourceManager().ViewPeer(p, func(s network.PeerScope) error {
		n = s.Stat().NumStreamsInbound
		return nil
	})
	return n
}

// heapAfterGC is the live heap of the test process.
func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
