// Command tunnelbench is bench/tunnel.sh's helper: the targets it needs
// and the two client measurements iperf3 does not make.
//
//	tunnelbench serve                  # prints "GREET_ADDR HTTP_ADDR", serves until killed
//	tunnelbench firstbyte -n 300 ADDR  # connect, read the greeter's first byte; prints the median in µs
//	tunnelbench http -n 1000 URL       # n GETs, each on a new connection; prints total ms
//
// The greeter writes one byte on every accepted connection (what an ssh
// or SMTP server does first); the HTTP server answers "ok".
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tunnelbench serve | firstbyte -n N ADDR | http -n N URL")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	n := fs.Int("n", 300, "how many")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve()
	case "firstbyte":
		err = firstByte(*n, fs.Arg(0))
	case "http":
		err = httpRequests(*n, fs.Arg(0))
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tunnelbench:", err)
		os.Exit(1)
	}
}

func serve() error {
	g, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := g.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Write([]byte{'>'})
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	fmt.Println(g.Addr(), h.Addr())
	return http.Serve(h, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
}

func firstByte(n int, addr string) error {
	d := make([]time.Duration, 0, n)
	b := make([]byte, 1)
	for range n {
		t0 := time.Now()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		if _, err := io.ReadFull(c, b); err != nil {
			c.Close()
			return fmt.Errorf("first byte from %s: %w", addr, err)
		}
		d = append(d, time.Since(t0))
		c.Close()
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	fmt.Printf("%d\n", d[len(d)/2].Microseconds())
	return nil
}

func httpRequests(n int, url string) error {
	cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	t0 := time.Now()
	for range n {
		resp, err := cl.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
	}
	fmt.Printf("%d\n", time.Since(t0).Milliseconds())
	return nil
}
