package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// forwardTo makes n forward a free local port to member:service and
// returns the local address.
func forwardTo(t *testing.T, n *Node, to string) string {
	t.Helper()
	var fwd struct {
		Local string `json:"local"`
	}
	Eventually(t, 20*time.Second, func() error {
		out, err := n.Run("forward", to, "--json")
		if err != nil {
			return err
		}
		return jsonInto(out, &fwd)
	})
	return fwd.Local
}

// An http service on alpha is used with curl through bravo's forward:
// the web app sees Peerhood-Member and Peerhood-Workgroup set by alpha,
// and a Peerhood-Member header curl sent is gone.
func TestTunnelHTTPWithCurl(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not found")
	}
	alpha, bravo := StartNode(t, "alpha"), StartNode(t, "bravo")
	office(t, alpha, bravo)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "member=%s workgroup=%s n=%d", r.Header.Get("Peerhood-Member"), r.Header.Get("Peerhood-Workgroup"), len(r.Header.Values("Peerhood-Member")))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	alpha.MustRun("service", "add", "wiki", ln.Addr().String(), "--kind", "http", "--allow", "bravo")
	local := forwardTo(t, bravo, "alpha:wiki")
	out, err := exec.Command("curl", "-sS", "--max-time", "20", "-H", "Peerhood-Member: alpha", "http://"+local+"/").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	if !strings.HasPrefix(string(out), "member=bravo workgroup=") || !strings.HasSuffix(string(out), " n=1") || strings.Contains(string(out), "workgroup= ") {
		t.Fatalf("the web app saw %q", out)
	}
}

// Debian's sshd on a loopback port (a generated host key, one key-only
// user) is offered by alpha; ssh through bravo's forward runs a command
// and carries a megabyte both ways.
func TestTunnelSSH(t *testing.T) {
	t.Parallel()
	port, key := startSSHD(t)
	alpha, bravo := StartNode(t, "alpha"), StartNode(t, "bravo")
	office(t, alpha, bravo)
	alpha.MustRun("service", "add", "ssh", fmt.Sprintf("127.0.0.1:%d", port), "--allow", "bravo")
	local := forwardTo(t, bravo, "alpha:ssh")
	_, lport, _ := net.SplitHostPort(local)
	ssh := func(stdin, command string) (string, error) {
		c := exec.Command("ssh", "-i", key, "-p", lport, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "root@127.0.0.1", command)
		c.Stdin = strings.NewReader(stdin)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := ssh("", "echo hello-through-peerhood"); err != nil || strings.TrimSpace(out) != "hello-through-peerhood" {
		t.Fatalf("ssh through the forward: %v: %q", err, out)
	}
	big := strings.Repeat("x", 1<<20)
	if out, err := ssh(big, "wc -c; head -c 1048576 /dev/zero | wc -c"); err != nil || strings.Fields(out)[0] != "1048576" || strings.Fields(out)[1] != "1048576" {
		t.Fatalf("ssh carrying a megabyte: %v: %q", err, out)
	}
}

// startSSHD runs Debian's sshd on a free loopback port with a generated
// host key and one key-only user (root, the test's user), killed at
// cleanup; it returns the port and the user's private key file.
func startSSHD(t *testing.T) (int, string) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if sshd, err = exec.LookPath("/usr/sbin/sshd"); err != nil {
			t.Skip("sshd not found (install openssh-server)")
		}
	}
	for _, tool := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (install openssh-client)", tool)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("sshd test: needs root (sshd's privilege separation)")
	}
	dir := shortTemp(t)
	key := filepath.Join(dir, "id")
	hostKey := filepath.Join(dir, "host")
	for _, k := range []string{key, hostKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, _ := os.ReadFile(key + ".pub")
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation folder
	// The port is picked free, closed and handed to sshd: another
	// process may bind it first. sshd then exits at once; try another.
	var lastErr string
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		conf := filepath.Join(dir, "sshd_config")
		os.WriteFile(conf, []byte(fmt.Sprintf("ListenAddress 127.0.0.1:%d\nHostKey %s\nAuthorizedKeysFile %s\nPasswordAuthentication no\n"+
			"KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile none\n", port, hostKey, filepath.Join(dir, "authorized_keys"))), 0o644)
		cmd := exec.Command(sshd, "-D", "-e", "-f", conf)
		logb := &testutil.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = logb, logb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		up := false
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case <-exited:
				deadline = time.Time{}
				continue
			default:
			}
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				c.Close()
				up = true
				break
			}
		}
		if !up {
			cmd.Process.Kill()
			<-exited
			lastErr = logb.String()
			continue
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
			if t.Failed() {
				t.Logf("sshd:\n%s", logb.String())
			}
		})
		return port, key
	}
	t.Fatalf("sshd did not start in 5 tries: %s", lastErr)
	return 0, ""
}

// freePort returns a TCP port free on 127.0.0.1 now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
