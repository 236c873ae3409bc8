// Command nodebench measures a peerhood node as a user runs it (the real
// binary, as separate processes): time from `peerhood up` to a listening
// control API, round-trip time of `peerhood status`, idle RSS 30 s after
// start next to a bare go-libp2p host started in the same run, and a node
// holding 1,000 peer connections. See bench/README.md.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/p2p"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "barehost" {
		bareHost()
		return
	}
	bin := flag.String("bin", "", "peerhood binary (default: build ./cmd/peerhood)")
	only := flag.String("only", "start,status,rss,conns", "comma-separated: start, status, rss, conns")
	runs := flag.Int("runs", 20, "start-up runs")
	statusRuns := flag.Int("status-runs", 200, "`peerhood status` runs")
	idle := flag.Duration("idle", 30*time.Second, "wait before reading idle RSS")
	conns := flag.Int("conns", 1000, "peer connections for the conns benchmark")
	flag.Parse()

	work, err := os.MkdirTemp("", "nb-")
	check(err)
	defer os.RemoveAll(work)
	if *bin == "" {
		*bin = filepath.Join(work, "peerhood")
		fmt.Println("building peerhood ...")
		cmd := exec.Command("go", "build", "-o", *bin, "./cmd/peerhood")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		check(cmd.Run())
	}
	b := &bench{bin: *bin, work: work}
	for _, what := range strings.Split(*only, ",") {
		switch strings.TrimSpace(what) {
		case "start":
			b.startUp(*runs)
		case "status":
			b.statusRTT(*statusRuns)
		case "rss":
			b.idleRSS(*idle)
		case "conns":
			b.manyConns(*conns)
		default:
			fmt.Fprintf(os.Stderr, "unknown benchmark %q\n", what)
			os.Exit(2)
		}
	}
}

type bench struct {
	bin, work string
	n         int
}

// node is one running `peerhood up`.
type node struct {
	cmd  *exec.Cmd
	home string
}

func (b *bench) newHome() string {
	b.n++
	h := filepath.Join(b.work, "h"+strconv.Itoa(b.n))
	check(os.Mkdir(h, 0o700))
	return h
}

// up starts a node with the default listen addresses on port 0 and
// returns once its start-up block is printed, with the time that took.
func (b *bench) up(home string) (*node, time.Duration) {
	args := []string{"up", "--home", home, "--name", "bench", "--log-level", "warn"}
	for _, a := range p2p.DefaultListenAddrs(0) {
		args = append(args, "--listen", a)
	}
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	check(err)
	t0 := time.Now()
	check(cmd.Start())
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(strings.TrimSpace(sc.Text()), "control") {
			break
		}
	}
	d := time.Since(t0)
	go io.Copy(io.Discard, out)
	return &node{cmd: cmd, home: home}, d
}

func (n *node) stop() time.Duration {
	t0 := time.Now()
	_ = n.cmd.Process.Signal(os.Interrupt)
	_ = n.cmd.Wait()
	return time.Since(t0)
}

func (b *bench) startUp(runs int) {
	var first, again, answer, stops []time.Duration
	home := ""
	for i := 0; i < runs; i++ {
		home = b.newHome()
		n, d := b.up(home) // fresh folder: keys, database, migrations
		first = append(first, d)
		t0 := time.Now()
		c := api.NewClient(home)
		check(c.Do(context.Background(), http.MethodGet, "/v1/version", nil, nil))
		answer = append(answer, d+time.Since(t0))
		stops = append(stops, n.stop())
		n, d = b.up(home) // existing folder
		again = append(again, d)
		n.stop()
	}
	fmt.Printf("\n== time from `peerhood up` to listening (%d runs each)\n", runs)
	row("first start (new keys, new database)", first)
	row("restart on an existing folder", again)
	row("first start until the API answered", answer)
	row("stop on SIGINT", stops)
}

func (b *bench) statusRTT(runs int) {
	home := b.newHome()
	n, _ := b.up(home)
	defer n.stop()
	var cli, apiRTT []time.Duration
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		out, err := exec.Command(b.bin, "--home", home, "status").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "status: %v: %s\n", err, out)
			os.Exit(1)
		}
		cli = append(cli, time.Since(t0))
	}
	c := api.NewClient(home)
	for i := 0; i < 10*runs; i++ {
		t0 := time.Now()
		check(c.Do(context.Background(), http.MethodGet, "/v1/status", nil, nil))
		apiRTT = append(apiRTT, time.Since(t0))
	}
	fmt.Printf("\n== round-trip time of `peerhood status`\n")
	row(fmt.Sprintf("`peerhood status` process (%d runs)", runs), cli)
	row(fmt.Sprintf("GET /v1/status, kept-alive client (%d)", 10*runs), apiRTT)
}

func (b *bench) idleRSS(wait time.Duration) {
	n, _ := b.up(b.newHome())
	defer n.stop()
	self, err := os.Executable()
	check(err)
	bare := exec.Command(self, "barehost")
	bare.Stderr = os.Stderr
	check(bare.Start())
	defer func() { _ = bare.Process.Kill(); _ = bare.Wait() }()
	fmt.Printf("\n== idle RSS %s after start (peerhood and a bare go-libp2p host, side by side)\n", wait)
	time.Sleep(wait)
	nr, br := rssMB(n.cmd.Process.Pid), rssMB(bare.Process.Pid)
	fmt.Printf("  %-44s %6.1f MB\n", "peerhood up (TCP+QUIC, IPv4+IPv6, API, SQLite)", nr)
	fmt.Printf("  %-44s %6.1f MB\n", "bare go-libp2p host (libp2p.New defaults)", br)
	fmt.Printf("  %-44s %6.2f\n", "ratio peerhood / bare host", nr/br)
	goal := "met"
	if nr > 40 {
		goal = "NOT met"
	}
	fmt.Printf("  goal <= 40 MB: %s\n", goal)
}

// bareHost is a go-libp2p host with libp2p's defaults, listening on all
// addresses on port 0, doing nothing, for the RSS comparison.
func bareHost() {
	h, err := libp2p.New(libp2p.ListenAddrStrings(p2p.DefaultListenAddrs(0)...))
	check(err)
	defer h.Close()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	<-ch
}

// dialer is a light client host standing for one remote peer.
func dialer() host.Host {
	h, err := libp2p.New(
		libp2p.NoListenAddrs,
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.ResourceManager(&network.NullResourceManager{}),
		libp2p.DisableMetrics(),
		libp2p.DisableRelay(),
		libp2p.Ping(false),
	)
	check(err)
	return h
}

func (b *bench) manyConns(count int) {
	home := b.newHome()
	n, _ := b.up(home)
	defer n.stop()
	c := api.NewClient(home)
	var st apitypes.Status
	check(c.Do(context.Background(), http.MethodGet, "/v1/status", nil, &st))
	var target *peer.AddrInfo
	for _, a := range st.Addresses {
		if strings.Contains(a, "/tcp/") && strings.HasPrefix(a, "/ip4/127.0.0.1/") {
			info, err := p2p.ParsePeerAddr(a)
			check(err)
			target = info
		}
	}
	if target == nil {
		fmt.Fprintln(os.Stderr, "node has no loopback TCP address")
		os.Exit(1)
	}
	before := rssMB(n.cmd.Process.Pid)
	hosts := make([]host.Host, count)
	for i := range hosts {
		hosts[i] = dialer()
	}
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	t0 := time.Now()
	var mu sync.Mutex
	var failed int
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, h := range hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := h.Connect(ctx, *target); err != nil {
				mu.Lock()
				failed++
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(t0)
	peers := func() int {
		var ps []p2p.PeerInfo
		check(c.Do(context.Background(), http.MethodGet, "/v1/peers", nil, &ps))
		return len(ps)
	}
	held := peers()
	for deadline := time.Now().Add(10 * time.Second); held < count-failed && time.Now().Before(deadline); held = peers() {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(5 * time.Second)
	later := peers()
	fmt.Printf("\n== %d peer connections to one node (one IP, loopback, TCP+TLS)\n", count)
	fmt.Printf("  connected in %s, %d refused", took.Round(time.Millisecond), failed)
	if firstErr != nil {
		fmt.Printf(" (first: %v)", firstErr)
	}
	fmt.Printf("\n  node lists %d peers; %d five seconds later\n", held, later)
	fmt.Printf("  node RSS %.1f MB before, %.1f MB holding them\n", before, rssMB(n.cmd.Process.Pid))
	if later < count {
		fmt.Println("  FAILED: the node did not hold every connection")
		os.Exit(1)
	}
}

// rssMB reads a process's resident set size (Linux).
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

func row(name string, ds []time.Duration) {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	fmt.Printf("  %-44s median %8s  p90 %8s  p99 %8s  max %8s\n", name,
		q(0.5).Round(10*time.Microsecond), q(0.9).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), s[len(s)-1].Round(10*time.Microsecond))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "nodebench:", err)
		os.Exit(1)
	}
}
