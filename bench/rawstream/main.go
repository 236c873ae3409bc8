package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	tpt "github.com/libp2p/go-libp2p/core/transport"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/p2p"
)

const proto = "/bench/raw/1"

func main() {
	mib := flag.Int("mib", 1024, "MiB to send")
	serve := flag.Bool("serve", false, "run as the receiver (internal)")
	flag.BoolVar(&useQUIC, "quic", false, "one QUIC stream instead of TCP+TLS+yamux")
	flag.StringVar(&transport, "transport", "stock", "stock: go-libp2p's TCP, TLS and yamux; peerhood: a node's TCP upgrader (internal/p2p.NewUpgrader)")
	cpu := flag.Bool("cpu", false, "also print CPU-s/GiB of sender and receiver")
	flag.BoolVar(&showWindow, "window", false, "the receiver prints (stderr) the yamux receive window the stream reached and the session's measured RTT")
	flag.Parse()
	if err := run(*mib, *serve, *cpu); err != nil {
		fmt.Fprintln(os.Stderr, "rawstream:", err)
		os.Exit(1)
	}
}

var (
	useQUIC    bool
	transport  string
	showWindow bool
)

func newHost() (host.Host, error) {
	if useQUIC {
		return libp2p.New(
			libp2p.ListenAddrStrings("/ip4/127.0.0.1/udp/0/quic-v1"),
			libp2p.Transport(quic.NewTransport),
		)
	}
	if transport == "peerhood" {
		return libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.Transport(peerhoodTCP))
	}
	return libp2p.New(
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
	)
}

// peerhoodTCP is TCP with a node's upgrader (TLS as batchTLS, then
// Noise; yamux with p2p.YamuxMessage frames), as internal/p2p builds it.
func peerhoodTCP(key crypto.PrivKey, rm network.ResourceManager, g connmgr.ConnectionGater) (tpt.Transport, error) {
	up, err := p2p.NewUpgrader(key, rm, g)
	if err != nil {
		return nil, err
	}
	return tcp.NewTCPTransport(up, rm, nil, tcp.DisableReuseport())
}

func run(mib int, serve, cpu bool) error {
	h, err := newHost()
	if err != nil {
		return err
	}
	defer h.Close()
	if serve {
		done := make(chan struct{})
		h.SetStreamHandler(proto, func(s network.Stream) {
			c0 := cpuSeconds()
			var n int64
			if fileMode() {
				n, _ = receiveFile(s)
			} else {
				n, _ = io.Copy(io.Discard, s)
			}
			if w, rtt, ok := yamuxWindow(s); ok && showWindow {
				fmt.Fprintf(os.Stderr, "receiver: yamux recv window %d KiB, session RTT %v\n", w>>10, rtt)
			}
			fmt.Fprintf(s, "%d %.3f\n", n, cpuSeconds()-c0)
			s.Close()
			close(done)
		})
		fmt.Println(peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}.String())
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
		}
		time.Sleep(100 * time.Millisecond)
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := append([]string{"-serve", "-transport", transport}, serveArgs()...)
	if showWindow {
		args = append(args, "-window")
	}
	if useQUIC {
		args = append(args, "-quic")
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	ai, err := parseAddrInfo(strings.TrimSpace(line))
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := h.Connect(ctx, ai); err != nil {
		return err
	}
	s, err := h.NewStream(ctx, ai.ID, proto)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	start, c0 := time.Now(), cpuSeconds()
	if fileMode() {
		n, err := sendFile(s)
		if err != nil {
			return err
		}
		mib = int(n >> 20)
	} else {
		for range mib {
			if _, err := s.Write(buf); err != nil {
				return err
			}
		}
	}
	if err := s.CloseWrite(); err != nil {
		return err
	}
	reply, err := io.ReadAll(s)
	if err != nil {
		return err
	}
	secs, sendCPU := time.Since(start).Seconds(), cpuSeconds()-c0
	got, recvCPU, _ := strings.Cut(strings.TrimSpace(string(reply)), " ")
	if got != fmt.Sprint(mib<<20) {
		return fmt.Errorf("receiver got %s bytes, want %d", got, mib<<20)
	}
	if !cpu {
		fmt.Printf("%.0f\n", float64(mib<<20)/secs/1e6) // MB/s
		return nil
	}
	var rc float64
	fmt.Sscan(recvCPU, &rc)
	gib := float64(mib) / 1024
	fmt.Printf("%.0f %.2f %.2f\n", float64(mib<<20)/secs/1e6, sendCPU/gib, rc/gib) // MB/s, sender and receiver CPU-s/GiB
	return nil
}

// parseAddrInfo reads peer.AddrInfo's String form "{ID: [addrs]}".
func parseAddrInfo(s string) (peer.AddrInfo, error) {
	s = strings.Trim(s, "{}")
	id, addrs, ok := strings.Cut(s, ": ")
	if !ok {
		return peer.AddrInfo{}, fmt.Errorf("bad receiver line %q", s)
	}
	pid, err := peer.Decode(id)
	if err != nil {
		return peer.AddrInfo{}, err
	}
	ai := peer.AddrInfo{ID: pid}
	for _, a := range strings.Fields(strings.Trim(addrs, "[]")) {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return peer.AddrInfo{}, err
		}
		ai.Addrs = append(ai.Addrs, m)
	}
	return ai, nil
}
