// Command presence200 measures, with N in-process members (real libp2p
// hosts on 127.0.0.1, each with its own SQLite address book, presence and
// discovery services; the roster is a shared StaticDirectory, as after a
// roster sync), how long it takes from a cold start in which every member
// knows only the first member's address until
//
//   - every member is connected to every other (discovery via the
//     workgroup DHT), and
//   - every member sees every other online (presence convergence),
//
// and then how long one departed member (host closed, no goodbye) takes
// to show offline on all the others.
//
//	go run ./bench/presence200 -n 200
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const wg = "benchwg"

var maxConns int

type member struct {
	id   peer.ID
	host *p2p.Host
	db   *store.DB
	pres *presence.Service
	disc *discovery.Service
}

func main() {
	n := flag.Int("n", 200, "members")
	limit := flag.Duration("limit", 5*time.Minute, "give up after")
	flag.IntVar(&maxConns, "maxconns", 0, "members each member dials at most (0: full mesh)")
	flag.Parse()
	if err := run(*n, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "presence200:", err)
		os.Exit(1)
	}
}

func run(n int, limit time.Duration) error {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})))
	dir, err := os.MkdirTemp("", "presence200-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ms := make([]*member, n)
	keys := make([]crypto.PrivKey, n)
	roster := make([]workgroup.Member, n)
	for i := range ms {
		k, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			return err
		}
		id, _ := peer.IDFromPrivateKey(k)
		keys[i] = k
		roster[i] = workgroup.Member{Workgroup: wg, WorkgroupName: "bench", Name: fmt.Sprintf("m%03d", i), PeerID: id}
	}
	ctx := context.Background()
	defer func() {
		for _, m := range ms {
			if m == nil {
				continue
			}
			if m.disc != nil {
				m.disc.Close()
				m.pres.Close()
			}
			if m.host != nil {
				m.host.Close()
			}
			m.db.Close()
		}
	}()
	for i := range ms {
		m := &member{id: roster[i].PeerID}
		ms[i] = m
		if m.host, err = p2p.New(p2p.Config{Key: keys[i], ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}}); err != nil {
			return err
		}
		if m.db, err = store.Open(ctx, filepath.Join(dir, fmt.Sprintf("%d.db", i))); err != nil {
			return err
		}
		d := workgroup.NewStaticDirectory(m.id, roster...)
		if m.pres, err = presence.New(presence.Config{Host: m.host, Dir: d}); err != nil {
			return err
		}
		if m.disc, err = discovery.New(discovery.Config{Host: m.host, DB: m.db, Dir: d, Presence: m.pres, NoMDNS: true, MaxConns: maxConns}); err != nil {
			return err
		}
		if i > 0 {
			if err := m.disc.Book().Record(ctx, ms[0].id, ms[0].host.Host.Addrs()); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	for _, m := range ms {
		if err := m.pres.Start(ctx); err != nil {
			return err
		}
		if err := m.disc.Start(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("%d members started in %s (GOMAXPROCS %d)\n", n, time.Since(start).Round(time.Millisecond), runtime.GOMAXPROCS(0))
	meshAt, onlineAt := time.Duration(0), time.Duration(0)
	for meshAt == 0 || onlineAt == 0 {
		time.Sleep(250 * time.Millisecond)
		conns, online := 0, 0
		for _, m := range ms {
			conns += len(m.host.Network().Peers())
			for _, o := range ms {
				if o != m && m.pres.Of(wg, o.id).State == presence.Online {
					online++
				}
			}
		}
		want := n * (n - 1)
		if meshAt == 0 && maxConns > 0 && conns >= n*min(maxConns, n-1) {
			meshAt = time.Since(start)
			fmt.Printf("every member holds >= %d member connections (%d in all) after %s\n", maxConns, conns/2, meshAt.Round(time.Millisecond))
		}
		if meshAt == 0 && conns >= want {
			meshAt = time.Since(start)
			fmt.Printf("full mesh (%d connections) after %s\n", want/2, meshAt.Round(time.Millisecond))
		}
		if onlineAt == 0 && online >= want {
			onlineAt = time.Since(start)
			fmt.Printf("presence converged (%d member pairs see each other online) after %s\n", want, onlineAt.Round(time.Millisecond))
		}
		if time.Since(start) > limit {
			return fmt.Errorf("no convergence within %s: %d/%d connections, %d/%d online views", limit, conns, want, online, want)
		}
	}
	gone := ms[n-1]
	t0 := time.Now()
	gone.host.Close()
	gone.host = nil
	for {
		off := 0
		for _, m := range ms[:n-1] {
			if m.pres.Of(wg, gone.id).State == presence.Offline {
				off++
			}
		}
		if off == n-1 {
			break
		}
		if time.Since(t0) > time.Minute {
			return fmt.Errorf("departed member still online on %d members after a minute", n-1-off)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("departed member offline on all %d others after %s\n", n-1, time.Since(t0).Round(time.Millisecond))
	return nil
}

func logLevel() slog.Level {
	if os.Getenv("PRESENCE200_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelError
}
