package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"

	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

var (
	profileTo *os.File
	useQUIC   bool
	idleFor   time.Duration
	// profileFrom: the CPU profile starts once this many have joined.
	profileFrom int
)

type member struct {
	name string
	id   *identity.Identity
	host *p2p.Host
	db   *store.DB
	wg   *workgroup.Service
	pres *presence.Service
	disc *discovery.Service
}

func (m *member) close() {
	if m.disc != nil {
		m.disc.Close()
	}
	if m.pres != nil {
		m.pres.Close()
	}
	if m.wg != nil {
		m.wg.Close()
	}
	if m.host != nil {
		m.host.Close()
	}
	if m.db != nil {
		m.db.Close()
	}
}

func main() {
	raiseFileLimit()
	n := flag.Int("n", 200, "members")
	limit := flag.Duration("limit", 10*time.Minute, "give up after")
	maxConns := flag.Int("maxconns", 0, "members each member dials at most (0: full mesh)")
	joiners := flag.Int("joiners", 1, "joins at a time")
	flag.BoolVar(&useQUIC, "quic", false, "QUIC on a loopback address per member instead of TCP on 127.0.0.1")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the first 60 s of joins to this file")
	flag.IntVar(&profileFrom, "profilefrom", 0, "start the CPU profile once this many members joined (0: at the first join)")
	flag.StringVar(&slowJoinDump, "slowjoin", "", "write every goroutine's stack to this file when a join first takes over 3 s")
	flag.DurationVar(&idleFor, "idle", 0, "after presence converged, measure loopback bytes and CPU for this long (run under unshare -n)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "presence200:", err)
			os.Exit(1)
		}
		profileTo = f
	}
	if err := run(*n, *maxConns, *joiners, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "presence200:", err)
		os.Exit(1)
	}
}

func run(n, maxConns, joiners int, limit time.Duration) error {
	if n < 2 {
		return errors.New("-n: at least 2 members")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	// On tmpfs when there is one: 200 databases in one process on one
	// disk would measure the disk's fsyncs (every member stores every
	// roster item), where real members each have their own.
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "presence200-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	ms := make([]*member, n)
	defer func() {
		for _, m := range ms {
			if m != nil {
				m.close()
			}
		}
	}()
	for i := range ms {
		m := &member{name: fmt.Sprintf("m%03d", i)}
		ms[i] = m
		home := filepath.Join(dir, m.name)
		if err := os.Mkdir(home, 0o700); err != nil {
			return err
		}
		if m.id, _, err = identity.LoadOrCreate(home); err != nil {
			return err
		}
		if m.db, err = store.Open(ctx, filepath.Join(home, "state.db")); err != nil {
			return err
		}
		// -quic: each member on its own loopback address over QUIC, whose
		// dials leave from the listening socket, so each member's
		// connections come from its own IP as on a real network (TCP
		// dials all come from 127.0.0.1); heavier on CPU and memory.
		listen := "/ip4/127.0.0.1/tcp/0"
		if useQUIC {
			listen = fmt.Sprintf("/ip4/127.2.%d.%d/udp/0/quic-v1", i/250, i%250+1)
		}
		if m.host, err = p2p.New(p2p.Config{Key: m.id.Key, ListenAddrs: []string{listen}, Log: log}); err != nil {
			return err
		}
		if m.wg, err = workgroup.New(ctx, workgroup.Config{DB: m.db, Identity: m.id, Host: m.host, NodeName: m.name, Log: log}); err != nil {
			return err
		}
		d := m.wg.Directory()
		if m.pres, err = presence.New(presence.Config{Host: m.host, Dir: d, Log: log}); err != nil {
			return err
		}
		if m.disc, err = discovery.New(discovery.Config{Host: m.host, DB: m.db, Dir: d, Presence: m.pres, NoMDNS: true, MaxConns: maxConns, Log: log}); err != nil {
			return err
		}
		if err := m.pres.Start(ctx); err != nil {
			return err
		}
		if err := m.disc.Start(ctx); err != nil {
			return err
		}
	}
	info, err := ms[0].wg.Create(ctx, "bench")
	if err != nil {
		return err
	}
	inv, err := ms[0].wg.Invite(ctx, workgroup.InviteOptions{Uses: n - 1, TTL: time.Hour})
	if err != nil {
		return err
	}
	fmt.Printf("%d members started (GOMAXPROCS %d); %d join, %d at a time\n", n, runtime.GOMAXPROCS(0), n-1, joiners)

	start := time.Now()
	startProfile := func() {
		if err := pprof.StartCPUProfile(profileTo); err != nil {
			fmt.Fprintln(os.Stderr, "cpu profile:", err)
			return
		}
		time.AfterFunc(time.Minute, pprof.StopCPUProfile)
	}
	if profileTo != nil && profileFrom == 0 {
		startProfile()
	}
	var joinErr error
	var once sync.Once
	var joinedAt atomic.Int64 // nanoseconds
	var retries, joinTime, joined atomic.Int64
	go func() {
		sem := make(chan struct{}, joiners)
		var wait sync.WaitGroup
		for _, m := range ms[1:] {
			sem <- struct{}{}
			wait.Add(1)
			go func() {
				defer wait.Done()
				defer func() { <-sem }()
				// A join that cannot reach the loaded inviter in time is
				// tried again, as a user would.
				var err error
				for try := 0; try < 5; try++ {
					t0 := time.Now()
					slow := time.AfterFunc(3*time.Second, dumpSlowJoin)
					_, _, err = m.wg.Join(ctx, inv.Token, "")
					slow.Stop()
					if err == nil {
						took := time.Since(t0)
						joinTime.Add(int64(took))
						j := joined.Add(1)
						if profileTo != nil && profileFrom > 0 && j == int64(profileFrom) {
							startProfile()
						}
						if j%25 == 0 {
							fmt.Printf("  %d joined after %s (this join %s; process CPU %s; inviter: %d connections to %d peers)\n", j, time.Since(start).Round(time.Millisecond),
								took.Round(time.Millisecond), cpuTime().Round(time.Millisecond), len(ms[0].host.Network().Conns()), len(ms[0].host.Network().Peers()))
						}
						return
					}
					retries.Add(1)
					if sw, ok := m.host.Network().(*swarm.Swarm); ok {
						sw.Backoff().Clear(ms[0].id.PeerID)
					}
					time.Sleep(time.Second)
				}
				once.Do(func() {
					joinErr = fmt.Errorf("%s joins (inviter: %d connections to %d peers): %w", m.name,
						len(ms[0].host.Network().Conns()), len(ms[0].host.Network().Peers()), err)
				})
			}()
		}
		wait.Wait()
		joinedAt.Store(int64(time.Since(start)))
	}()

	wg := info.ID
	var rosterAt, meshAt, onlineAt time.Duration
	var joinsReported bool
	want := n * (n - 1)
	for rosterAt == 0 || meshAt == 0 || onlineAt == 0 {
		time.Sleep(250 * time.Millisecond)
		if joinErr != nil {
			return joinErr
		}
		if j := time.Duration(joinedAt.Load()); j != 0 && !joinsReported {
			joinsReported = true
			fmt.Printf("all %d joins done after %s (mean join %s, %d attempts retried)\n", n-1, j.Round(time.Millisecond),
				(time.Duration(joinTime.Load()) / time.Duration(n-1)).Round(time.Millisecond), retries.Load())
		}
		full, conns, online := 0, 0, 0
		for _, m := range ms {
			if m.wg.Roster().MemberCount(wg) == n {
				full++
			}
			conns += len(m.host.Network().Peers())
			for _, o := range ms {
				if o != m && m.pres.Of(wg, o.id.PeerID).State == presence.Online {
					online++
				}
			}
		}
		el := time.Since(start)
		if rosterAt == 0 && full == n {
			rosterAt = el
			fmt.Printf("roster converged (all %d members hold all %d certificates) after %s\n", n, n, el.Round(time.Millisecond))
		}
		if meshAt == 0 && maxConns > 0 && conns >= n*min(maxConns, n-1) {
			meshAt = el
			fmt.Printf("members hold >= %d connections each on average (%d in all) after %s\n", maxConns, conns/2, el.Round(time.Millisecond))
		}
		if meshAt == 0 && conns >= want {
			meshAt = el
			fmt.Printf("full mesh (%d connections) after %s\n", want/2, el.Round(time.Millisecond))
		}
		if onlineAt == 0 && online >= want {
			onlineAt = el
			fmt.Printf("presence converged (%d member pairs see each other online) after %s\n", want, el.Round(time.Millisecond))
		}
		if el > limit {
			return fmt.Errorf("no convergence within %s: %d/%d members hold the full roster, %d/%d connections, %d/%d online views",
				limit, full, n, conns, want, online, want)
		}
	}
	iv := presence.IntervalFor(presence.DefaultInterval, n)
	fmt.Printf("heartbeat interval at %d members: %s (offline timeout %s)\n", n, iv, presence.Timeout(iv))
	if idleFor > 0 {
		time.Sleep(5 * time.Second) // the last joins' syncs and kicks settle
		if err := measureIdle(n, idleFor); err != nil {
			return err
		}
	}
	gone := ms[n-1]
	t0 := time.Now()
	gone.disc.Close()
	gone.disc = nil
	gone.host.Close() // no goodbye: presence is not closed
	for {
		off := 0
		for _, m := range ms[:n-1] {
			if m.pres.Of(wg, gone.id.PeerID).State == presence.Offline {
				off++
			}
		}
		if off == n-1 {
			break
		}
		if time.Since(t0) > 2*presence.Timeout(iv)+time.Minute {
			return fmt.Errorf("departed member still online on %d members after %s", n-1-off, time.Since(t0).Round(time.Second))
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("departed member offline on all %d others after %s\n", n-1, time.Since(t0).Round(time.Millisecond))
	if n < 3 {
		return nil
	}

	// Revocation: the admin removes a live member; every other member
	// must hold the revocation and no connection to it.
	removed := ms[n-2]
	t0 = time.Now()
	if _, err := ms[0].wg.Remove(ctx, wg, removed.name); err != nil {
		return fmt.Errorf("remove %s: %w", removed.name, err)
	}
	for {
		done := 0
		for _, m := range ms[:n-2] {
			if m.wg.Roster().IsRevoked(wg, removed.id.PeerID) && m.host.Network().Connectedness(removed.id.PeerID) != network.Connected {
				done++
			}
		}
		if done == n-2 {
			break
		}
		if time.Since(t0) > time.Minute {
			return fmt.Errorf("revocation of %s: %d of %d members hold it and dropped the member after %s", removed.name, done, n-2, time.Since(t0).Round(time.Second))
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("removed member revoked and disconnected on all %d others after %s\n", n-2, time.Since(t0).Round(time.Millisecond))
	return nil
}

func logLevel() slog.Level {
	if os.Getenv("PRESENCE200_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelError
}
