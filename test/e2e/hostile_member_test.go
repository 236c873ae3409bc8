package e2e

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// hostile is a member turned attacker: an in-process libp2p host (no
// resource limits of its own) holding a real member's node key, talking
// to the victim with the project's own message types.
type hostile struct {
	h      host.Host
	victim peer.ID
	wg     string
	admin  peer.ID // a real admin, named as the issuer of forged items
	age    string

	mu      sync.Mutex
	streams []network.Stream
}

func newHostile(t *testing.T, id *identity.Identity, victim *Node, wg string, admin peer.ID) *hostile {
	t.Helper()
	h, err := libp2p.New(libp2p.Identity(id.Key), libp2p.NoListenAddrs,
		libp2p.ResourceManager(&network.NullResourceManager{}), libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	info, err := p2p.ParsePeerAddr(victim.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Connect(context.Background(), *info); err != nil {
		t.Fatal(err)
	}
	return &hostile{h: h, victim: info.ID, wg: wg, admin: admin, age: id.AgeRecipient()}
}

// open opens a stream and keeps it (never closed before the test ends).
func (m *hostile) open(ctx context.Context, proto protocol.ID) (network.Stream, error) {
	st, err := m.h.NewStream(ctx, m.victim, proto)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(dl)
	}
	m.mu.Lock()
	m.streams = append(m.streams, st)
	m.mu.Unlock()
	return st, nil
}

// stalledRead asks for a file and never reads it.
func (m *hostile) stalledRead(ctx context.Context, shareName, path string) error {
	st, err := m.open(ctx, p2p.ProtoFiles)
	if err != nil {
		return err
	}
	if err := wire.WriteFrame(st, share.Request{Op: share.OpRead, Share: shareName, Path: path}); err != nil {
		return err
	}
	var rep share.Reply
	return wire.NewReader(st, 1<<20).ReadFrame(&rep)
}

// hugeFrame announces a frame just under 16 MiB on the roster protocol
// and sends it.
func (m *hostile) hugeFrame(ctx context.Context) error {
	st, err := m.open(ctx, p2p.ProtoRoster)
	if err != nil {
		return err
	}
	const n = 16<<20 - 1
	if _, err := st.Write(binary.AppendUvarint(nil, n)); err != nil {
		return err
	}
	chunk := make([]byte, 1<<20)
	for sent := 0; sent < n; sent += len(chunk) {
		if _, err := st.Write(chunk[:min(len(chunk), n-sent)]); err != nil {
			return err
		}
	}
	return nil
}

// junkPush runs a roster sync and pushes ~7 MiB of certificates with bad
// signatures, half of them naming a real admin as their issuer.
func (m *hostile) junkPush(ctx context.Context, junk workgroup.Bundle) error {
	st, err := m.open(ctx, p2p.ProtoRoster)
	if err != nil {
		return err
	}
	if err := wire.WriteFrame(st, workgroup.SyncHello{Workgroup: m.wg}); err != nil {
		return err
	}
	var reply workgroup.SyncReply
	if err := wire.NewReader(st, 16<<20).ReadFrame(&reply); err != nil {
		return err
	}
	return wire.WriteFrame(st, workgroup.SyncPush{Items: junk})
}

// junkBundle makes certificates that decode and pass every field check
// but carry random signatures.
func (m *hostile) junkBundle(t *testing.T, size int) workgroup.Bundle {
	t.Helper()
	var b workgroup.Bundle
	for total := 0; total < size; {
		k, _, _ := crypto.GenerateEd25519Key(nil)
		p, _ := peer.IDFromPrivateKey(k)
		issuer := []byte(p)
		if len(b.Certs)%2 == 0 {
			issuer = []byte(m.admin)
		}
		serial := make([]byte, 16)
		rand.Read(serial)
		body, err := wire.Marshal(workgroup.CertBody{Workgroup: m.wg, Name: "junk", Peer: []byte(p), AgeRecipient: m.age,
			NotBefore: time.Now().Add(-time.Hour).Unix(), NotAfter: time.Now().Add(time.Hour).Unix(), Serial: serial, Issuer: issuer})
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		rand.Read(sig)
		raw, err := wire.Marshal(workgroup.Signed{Body: body, Sig: sig})
		if err != nil {
			t.Fatal(err)
		}
		b.Certs = append(b.Certs, raw)
		total += len(raw)
	}
	return b
}

// vmRSS returns a process's resident set size in bytes (0 if unknown).
func vmRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// peakRSS samples pid's RSS every 20 ms until stop is closed and
// returns the highest figure.
func peakRSS(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, vmRSS(pid))
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// attack opens n streams from m: mostly stalled file reads, and every
// 25th a frame just under 16 MiB, and 60 in all roster pushes of junk
// certificates. Each stream stays open. It returns how many attempts
// failed (refused or reset by the victim).
func (m *hostile) attack(ctx context.Context, n int, junk workgroup.Bundle) (failed int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var err error
			switch {
			case i%25 == 0:
				err = m.hugeFrame(ctx)
			case i%25 == 1 || i%50 == 2:
				err = m.junkPush(ctx, junk)
			default:
				err = m.stalledRead(ctx, "docs", "big.bin")
			}
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}

// One hostile member with 1,000 streams (stalled reads of a large file,
// frames just under 16 MiB on the roster protocol, roster pushes of junk
// certificates) raises the victim's RSS by at most 100 MB, and another
// member's `ls` of the victim's share answers within 1 s throughout.
func TestHostileMemberResources(t *testing.T) {
	alpha, bravo, mallory := StartNode(t, "alpha"), StartNode(t, "bravo"), StartNode(t, "mallory")
	var created struct{ ID string }
	alpha.JSON(&created, "workgroup", "create", "office")
	for _, n := range []*Node{bravo, mallory} {
		tok := strings.TrimSpace(strings.SplitN(alpha.MustRun("invite"), "\n", 2)[0])
		n.MustRun("join", tok)
	}
	docs := t.TempDir()
	writeRandom(t, filepath.Join(docs, "big.bin"), 64<<20)
	for i := range 50 {
		writeRandom(t, filepath.Join(docs, fmt.Sprintf("f%02d.txt", i)), 100)
	}
	alpha.MustRun("share", "add", "docs", docs)
	Eventually(t, 20*time.Second, func() error { _, err := bravo.Run("ls", "alpha:docs"); return err })
	mallory.Stop()
	id, _, err := identity.LoadOrCreate(mallory.Home)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := peer.Decode(alpha.Status().PeerID)
	if err != nil {
		t.Fatal(err)
	}
	m := newHostile(t, id, alpha, created.ID, admin)
	junk := m.junkBundle(t, 7<<20)
	pid := alpha.cmd.Process.Pid
	base := vmRSS(pid)
	stop := make(chan struct{})
	peakc := peakRSS(pid, stop)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan int)
	begin := time.Now()
	go func() { done <- m.attack(ctx, 1000, junk) }()
	slowest := time.Duration(0)
	for attacking := true; attacking; {
		select {
		case failed := <-done:
			t.Logf("attack sent after %v; %d of 1000 streams refused or reset", time.Since(begin).Round(time.Millisecond), failed)
			attacking = false
		default:
		}
		start := time.Now()
		if _, err := bravo.Run("ls", "alpha:docs"); err != nil {
			t.Errorf("bravo's ls during the attack: %v", err)
		}
		slowest = max(slowest, time.Since(start))
	}
	for range 20 { // the streams stay open: keep measuring a while
		start := time.Now()
		if _, err := bravo.Run("ls", "alpha:docs"); err != nil {
			t.Errorf("bravo's ls after the attack: %v", err)
		}
		slowest = max(slowest, time.Since(start))
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	peak := <-peakc
	t.Logf("alpha RSS %d MB before, peak %d MB (+%d MB); slowest ls %v", base>>20, peak>>20, (peak-base)>>20, slowest)
	if peak-base > 100<<20 {
		t.Errorf("RSS rose by %d MB, limit 100 MB", (peak-base)>>20)
	}
	if slowest > time.Second {
		t.Errorf("bravo's ls took %v, limit 1 s", slowest)
	}
}
