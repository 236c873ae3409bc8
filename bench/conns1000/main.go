// Command conns1000 checks that one node holds connections from 1,000
// members and reports its memory. The hub runs in a child process with
// the real host configuration (resource and connection managers, gate
// off), presence and discovery over a directory of 1,001 members; the
// parent runs 1,000 light libp2p hosts (the members), each on its own
// loopback address (127.1.x.y), that connect to the hub and stay. After
// the hold period it reports how many connections the hub still holds
// and its resident memory (VmRSS, and the peak VmHWM).
//
//	go run ./bench/conns1000 -n 1000 -hold 30s
package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

var (
	n     = flag.Int("n", 1000, "members connecting to the hub")
	hold  = flag.Duration("hold", 30*time.Second, "how long the connections are held")
	isHub = flag.Bool("hub", false, "(internal) run as the hub")
)

// key derives member i's key (i = 0 is the hub) so both processes know
// every peer ID.
func key(i int) crypto.PrivKey {
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, uint64(i)+1)
	copy(seed[8:], "peerhood-conns1000-bench")
	k, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		panic(err)
	}
	return k
}

func id(i int) peer.ID {
	p, _ := peer.IDFromPrivateKey(key(i))
	return p
}

func main() {
	flag.Parse()
	var err error
	if *isHub {
		err = hub()
	} else {
		err = parent()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "conns1000:", err)
		os.Exit(1)
	}
}

func hub() error {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	ctx := context.Background()
	const wg = "conns1000"
	members := make([]workgroup.Member, *n+1)
	for i := range members {
		members[i] = workgroup.Member{Workgroup: wg, WorkgroupName: "bench", Name: fmt.Sprintf("m%04d", i), PeerID: id(i)}
	}
	dir := workgroup.NewStaticDirectory(id(0), members...)
	h, err := p2p.New(p2p.Config{Key: key(0), ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		return err
	}
	defer h.Close()
	tmp, err := os.MkdirTemp("", "conns1000-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	db, err := store.Open(ctx, filepath.Join(tmp, "state.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	pres, err := presence.New(presence.Config{Host: h, Dir: dir, Settings: db})
	if err != nil {
		return err
	}
	if err := pres.Start(ctx); err != nil {
		return err
	}
	defer pres.Close()
	disc, err := discovery.New(discovery.Config{Host: h, DB: db, Dir: dir, Presence: pres, NoMDNS: true})
	if err != nil {
		return err
	}
	if err := disc.Start(ctx); err != nil {
		return err
	}
	defer disc.Close()
	fmt.Println("addr", h.Addrs()[0])
	for range time.Tick(time.Second) {
		rss, hwm := memory()
		fmt.Printf("stat conns=%d peers=%d rss_kib=%d hwm_kib=%d browse=%d\n",
			len(h.Network().Conns()), len(h.Network().Peers()), rss, hwm, len(disc.Browse(wg)))
	}
	return nil
}

// memory returns VmRSS and VmHWM of this process in KiB.
func memory() (rss, hwm int) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "VmRSS:" {
			fmt.Sscan(f[1], &rss)
		}
		if len(f) >= 2 && f[0] == "VmHWM:" {
			fmt.Sscan(f[1], &hwm)
		}
	}
	return rss, hwm
}

func parent() error {
	cmd := exec.Command(os.Args[0], "-hub", "-n", fmt.Sprint(*n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var hubAddr ma.Multiaddr
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
			if hubAddr, err = ma.NewMultiaddr(a); err != nil {
				return err
			}
			break
		}
	}
	if hubAddr == nil {
		return fmt.Errorf("hub printed no address")
	}
	var last atomic.Value
	last.Store("")
	go func() {
		for sc.Scan() {
			last.Store(sc.Text())
		}
	}()
	ai, err := peer.AddrInfoFromP2pAddr(hubAddr)
	if err != nil {
		return err
	}
	rss0 := waitStat(&last)
	fmt.Printf("hub idle: %s\n", rss0)
	start := time.Now()
	hosts := make([]host.Host, *n)
	defer func() {
		for _, h := range hosts {
			if h != nil {
				h.Close()
			}
		}
	}()
	var wg sync.WaitGroup
	var failed atomic.Int64
	sem := make(chan struct{}, 32)
	for i := range hosts {
		listen := fmt.Sprintf("/ip4/127.1.%d.%d/tcp/0", (i+1)/250, (i+1)%250+1)
		h, err := libp2p.New(libp2p.Identity(key(i+1)), libp2p.ListenAddrStrings(listen),
			libp2p.Transport(tcp.NewTCPTransport), libp2p.DisableRelay(), libp2p.DisableMetrics(),
			libp2p.ResourceManager(&network.NullResourceManager{}))
		if err != nil {
			return fmt.Errorf("member %d: %w", i+1, err)
		}
		hosts[i] = h
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := h.Connect(ctx, *ai); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d members connected in %s (%d failed)\n", *n-int(failed.Load()), time.Since(start).Round(time.Millisecond), failed.Load())
	time.Sleep(*hold)
	held := 0
	for _, h := range hosts {
		if h.Network().Connectedness(ai.ID) == network.Connected {
			held++
		}
	}
	fmt.Printf("after holding %s: %d/%d members still connected; hub: %s\n", *hold, held, *n, waitStat(&last))
	return nil
}

func waitStat(last *atomic.Value) string {
	for range 50 {
		if s := last.Load().(string); s != "" {
			return strings.TrimPrefix(s, "stat ")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "no stat"
}
