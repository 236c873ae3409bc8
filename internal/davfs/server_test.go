package davfs

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestListenLoopbackOnly(t *testing.T) {
	t.Parallel()
	b := NewLocalBackend(testNode)
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0", "192.0.2.1:0", "example.com:0", "nonsense"} {
		if s, err := Listen(addr, b, testToken, nil); err == nil {
			s.Close()
			t.Errorf("Listen(%q) succeeded; want refused", addr)
		}
	}
	s, err := Listen("127.0.0.1:0", b, testToken, nil)
	must(t, err)
	defer s.Close()
	if s.Addr().Port == 0 || !s.Addr().IP.IsLoopback() {
		t.Fatalf("bound %v", s.Addr())
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL())
	}
	req, _ := http.NewRequest("PROPFIND", s.URL(), nil)
	req.SetBasicAuth(User, testToken)
	req.Header.Set("Depth", "0")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 207 {
		t.Fatalf("PROPFIND = %d", resp.StatusCode)
	}
	must(t, s.Close())
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Fatal("still listening after Close")
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	tok, err := LoadOrCreateToken(home)
	must(t, err)
	if len(tok) != 43 {
		t.Fatalf("token %q: want 43 base64url characters", tok)
	}
	fi, err := os.Stat(filepath.Join(home, TokenFile))
	must(t, err)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", fi.Mode().Perm())
	}
	again, err := LoadOrCreateToken(home)
	must(t, err)
	if again != tok {
		t.Fatal("token changed on reload")
	}
	other, err := LoadOrCreateToken(t.TempDir())
	must(t, err)
	if other == tok {
		t.Fatal("two homes got the same token")
	}
	if runtime.GOOS != "windows" {
		must(t, os.Chmod(filepath.Join(home, TokenFile), 0o644))
		if _, err := LoadOrCreateToken(home); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("world-readable token accepted: %v", err)
		}
		must(t, os.Chmod(filepath.Join(home, TokenFile), 0o600))
	}
	must(t, os.WriteFile(filepath.Join(home, TokenFile), []byte("short\n"), 0o600))
	if _, err := LoadOrCreateToken(home); err == nil {
		t.Fatal("a malformed token was accepted")
	}
}

// TestTruncatedPut: a client that promises more bytes than it sends and
// hangs up leaves no file, not even a partial one.
func TestTruncatedPut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	must(t, err)
	req, _ := http.NewRequest("PUT", e.srv.URL+"/alpha/docs/half.bin", nil)
	req.SetBasicAuth(User, testToken)
	fmt.Fprintf(conn, "PUT /alpha/docs/half.bin HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: 100000\r\n\r\n",
		req.Host, req.Header.Get("Authorization"))
	io.WriteString(conn, strings.Repeat("y", 50000))
	conn.Close()
	time.Sleep(200 * time.Millisecond)
	ents, err := os.ReadDir(e.docs)
	must(t, err)
	for _, en := range ents {
		if en.Name() == "half.bin" || strings.HasPrefix(en.Name(), TempPrefix) {
			t.Fatalf("left behind %s", en.Name())
		}
	}
	// And a whole chunked PUT does land.
	conn, err = net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	must(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /alpha/docs/chunked.txt HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		req.Host, req.Header.Get("Authorization"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 201 || read(t, filepath.Join(e.docs, "chunked.txt")) != "hello" {
		t.Fatalf("chunked PUT = %d", resp.StatusCode)
	}
}
