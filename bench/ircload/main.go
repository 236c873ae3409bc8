// Command ircload is the reference side of bench/chat.sh: it starts
// ngircd on a free loopback port (penalties off), connects -members IRC
// clients that all join one channel, sends -msgs messages in all at
// -rate per second (round robin over the clients), and prints the rate
// every client received them at, the send-to-receive latency over every
// (message, receiving client) pair, and the messages lost and duplicated.
// A sender does not receive its own channel messages (IRC), so each
// message is expected by the members-1 others.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	members := flag.Int("members", 8, "IRC clients")
	msgs := flag.Int("msgs", 2000, "messages in all")
	rate := flag.Int("rate", 500, "messages per second in all")
	flag.Parse()
	if err := run(*members, *msgs, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "ircload:", err)
		os.Exit(1)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs ngircd in the foreground on port with a minimal
// configuration.
func startServer(port int) (*exec.Cmd, error) {
	dir, err := os.MkdirTemp("", "ircload")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "ngircd.conf")
	motd := filepath.Join(dir, "motd")
	_ = os.WriteFile(motd, []byte("bench\n"), 0o644)
	text := fmt.Sprintf(`[Global]
Name = bench.local
Info = bench
Listen = 127.0.0.1
Ports = %d
MotdFile = %s
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxPenaltyTime = 0
[Options]
DNS = no
Ident = no
PAM = no
`, port, motd)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("ngircd", "-n", "-f", conf)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ngircd (apt-get install ngircd): %w", err)
	}
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return cmd, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("ngircd did not listen on %d", port)
}

type client struct {
	conn net.Conn
	w    *bufio.Writer
	mu   sync.Mutex
	got  map[string]int
	lat  []time.Duration
	last time.Time
}

func (c *client) send(line string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return err
	}
	return c.w.Flush()
}

// dial registers nick and joins #bench; joined is closed once it is in.
func dial(port int, nick string, joined chan<- struct{}) (*client, error) {
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, w: bufio.NewWriter(conn), got: map[string]int{}}
	if err := c.send("NICK " + nick + "\r\nUSER " + nick + " 0 * :" + nick); err != nil {
		return nil, err
	}
	go c.read(joined)
	return c, nil
}

func (c *client) read(joined chan<- struct{}) {
	sc := bufio.NewScanner(c.conn)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) > 1 && f[0] == "PING":
			_ = c.send("PONG " + f[1])
		case len(f) > 1 && (f[1] == "376" || f[1] == "422"):
			_ = c.send("JOIN #bench")
		case len(f) > 1 && f[1] == "366":
			joined <- struct{}{}
		case len(f) > 4 && f[1] == "PRIVMSG":
			now := time.Now()
			id := strings.TrimPrefix(f[3], ":")
			ns, _ := strconv.ParseInt(f[4], 10, 64)
			c.mu.Lock()
			c.got[id]++
			c.lat = append(c.lat, now.Sub(time.Unix(0, ns)))
			c.last = now
			c.mu.Unlock()
		}
	}
}

func run(members, total, rate int) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	srv, err := startServer(port)
	if err != nil {
		return err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	joined := make(chan struct{}, members)
	cs := make([]*client, members)
	for i := range cs {
		if cs[i], err = dial(port, fmt.Sprintf("m%02d", i), joined); err != nil {
			return err
		}
	}
	for range members {
		select {
		case <-joined:
		case <-time.After(20 * time.Second):
			return fmt.Errorf("clients did not join")
		}
	}
	start := time.Now()
	every := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := i; k < total; k += members {
				time.Sleep(time.Until(start.Add(time.Duration(k) * every)))
				_ = c.send(fmt.Sprintf("PRIVMSG #bench :m-%d %d", k, time.Now().UnixNano()))
			}
		}()
	}
	wg.Wait()
	want := total * (members - 1)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && received(cs) < want {
		time.Sleep(100 * time.Millisecond)
	}
	report(cs, start, total, members)
	return nil
}

func received(cs []*client) int {
	n := 0
	for _, c := range cs {
		c.mu.Lock()
		n += len(c.got)
		c.mu.Unlock()
	}
	return n
}

func report(cs []*client, start time.Time, total, members int) {
	var lat []time.Duration
	var last time.Time
	lost, dup := 0, 0
	for i, c := range cs {
		c.mu.Lock()
		lat = append(lat, c.lat...)
		if c.last.After(last) {
			last = c.last
		}
		for k := 0; k < total; k++ {
			if k%members == i {
				continue // its own
			}
			switch n := c.got["m-"+strconv.Itoa(k)]; {
			case n == 0:
				lost++
			case n > 1:
				dup += n - 1
			}
		}
		c.mu.Unlock()
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return -1
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	fmt.Printf("ngircd: %d clients, %d messages: %.0f msgs/s  p50 %.2f ms  p99 %.2f ms  lost %d  dup %d\n",
		members, total, float64(total)/last.Sub(start).Seconds(), q(0.5), q(0.99), lost, dup)
}
