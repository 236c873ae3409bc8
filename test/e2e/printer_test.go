package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// printLab is one network namespace holding a printer and what a print
// dialog needs around it: a private D-Bus (ippeveprinter and ippfind
// reach avahi over it), avahi-daemon on the namespace's loopback (with
// multicast on), ippeveprinter, and a private cupsd. Every process is
// the test's own, killed at cleanup.
type printLab struct {
	t     *testing.T
	lab   *netLab
	ns    string
	dir   string
	bus   string // DBUS_SYSTEM_BUS_ADDRESS
	cups  string // cupsd's socket ("" when cupsd did not start)
	avahi bool   // avahi-daemon runs
	spool string // ippeveprinter's spool folder
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("printer test: %s not found (install cups-ipp-utils, cups, avahi-daemon, avahi-utils, dbus)", tool)
		}
	}
}

func newPrintLab(t *testing.T) *printLab {
	needTools(t, "ippeveprinter", "ipptool", "dbus-daemon", "avahi-daemon")
	l := newNetLab(t)
	p := &printLab{t: t, lab: l, ns: l.ns("print"), dir: shortTemp(t)}
	l.in(p.ns, "ip", "link", "set", "lo", "multicast", "on")
	p.spool = filepath.Join(p.dir, "spool")
	os.MkdirAll(p.spool, 0o755)
	p.startBus()
	p.startAvahi()
	return p
}

// shortTemp is a temp folder with a short path (unix socket paths are
// limited to ~104 bytes) that lp (cupsd's user) may enter.
func shortTemp(t *testing.T) string {
	d, err := os.MkdirTemp("", "php-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o755)
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// daemon starts a long-running command in the lab's namespace, killed at
// cleanup; its output goes to NAME.log in the lab folder.
func (p *printLab) daemon(name string, env []string, args ...string) *exec.Cmd {
	p.t.Helper()
	logf, err := os.Create(filepath.Join(p.dir, name+".log"))
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", p.ns}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", name, err)
	}
	p.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if p.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			p.t.Logf("%s output:\n%s", name, b)
		}
	})
	return cmd
}

func (p *printLab) startBus() {
	sock := filepath.Join(p.dir, "bus")
	conf := filepath.Join(p.dir, "bus.conf")
	os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=`+sock+`</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>`), 0o644)
	p.daemon("dbus", nil, "dbus-daemon", "--config-file="+conf, "--nofork")
	p.bus = "unix:path=" + sock
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(p.dir, "dbus.log"))
			p.t.Skipf("printer test: dbus-daemon did not start here: %s", b)
		}
	}
}

// startAvahi runs avahi-daemon on the namespace's loopback, with its pid
// file on a private tmpfs (the namespace shares the host's /run).
func (p *printLab) startAvahi() {
	conf := filepath.Join(p.dir, "avahi.conf")
	os.WriteFile(conf, []byte("[server]\nuse-ipv4=yes\nuse-ipv6=no\nenable-dbus=yes\n[publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n"), 0o644)
	p.daemon("avahi", []string{"DBUS_SYSTEM_BUS_ADDRESS=" + p.bus}, "sh", "-c",
		"mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "+conf)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(p.dir, "avahi.log"))
		if bytes.Contains(b, []byte("Server startup complete")) {
			break
		}
		if time.Now().After(deadline) {
			// ippeveprinter refuses to run without avahi.
			p.t.Skipf("printer test: avahi-daemon did not start in a namespace here: %s", b)
		}
	}
	p.avahi = true
}

// startPrinter runs ippeveprinter (DNS-SD subtypes off) on port 8631 of
// the namespace's loopback, keeping each job's file in p.spool.
func (p *printLab) startPrinter() string {
	p.daemon("ippeveprinter", []string{"DBUS_SYSTEM_BUS_ADDRESS=" + p.bus}, "ippeveprinter", "-r", "off", "-k", "-d", p.spool,
		"-p", "8631", "-f", "application/pdf,image/pwg-raster,image/urf,text/plain", "Lab")
	uri := "ipp://127.0.0.1:8631/ipp/print"
	Eventually(p.t, 15*time.Second, func() error {
		_, err := p.run(nil, "ipptool", "-T", "5", uri, "get-printer-attributes.test")
		return err
	})
	return uri
}

// startCUPS runs a private cupsd (socket only) and returns its socket,
// or "" with the reason when it cannot start here.
func (p *printLab) startCUPS() (string, error) {
	if _, err := exec.LookPath("cupsd"); err != nil {
		return "", err
	}
	root := filepath.Join(p.dir, "cups")
	for _, d := range []string{"spool", "cache", "state", "tmp", "log"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	sock := filepath.Join(root, "cups.sock")
	os.WriteFile(filepath.Join(root, "cupsd.conf"), []byte("LogLevel warn\nListen "+sock+"\nListen 127.0.0.1:8632\nBrowsing No\nWebInterface No\n"+
		"<Location />\n Order allow,deny\n Allow all\n</Location>\n<Policy default>\n <Limit All>\n  Order deny,allow\n </Limit>\n</Policy>\n"), 0o644)
	os.WriteFile(filepath.Join(root, "cups-files.conf"), []byte(fmt.Sprintf(
		"ServerRoot %[1]s\nRequestRoot %[1]s/spool\nCacheDir %[1]s/cache\nStateDir %[1]s/state\nTempDir %[1]s/tmp\n"+
			"ErrorLog %[1]s/log/error_log\nAccessLog %[1]s/log/access_log\nPageLog %[1]s/log/page_log\nSystemGroup root\nUser lp\nGroup lp\n", root)), 0o644)
	p.daemon("cupsd", nil, "cupsd", "-f", "-c", filepath.Join(root, "cupsd.conf"), "-s", filepath.Join(root, "cups-files.conf"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := p.run([]string{"CUPS_SERVER=" + sock}, "lpstat", "-r")
		if err == nil && strings.Contains(out, "is running") {
			p.cups = sock
			return sock, nil
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(root, "log", "error_log"))
			return "", fmt.Errorf("cupsd did not start: %v %s %s", err, out, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// run runs a command in the namespace and returns its output.
func (p *printLab) run(env []string, args ...string) (string, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", p.ns}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// node is a peerhood node inside the lab's namespace, on its loopback.
func (p *printLab) node(name string, env ...string) *Node {
	n := NewNode(p.t, name)
	n.Prefix = []string{"ip", "netns", "exec", p.ns}
	n.Env = env
	n.Start()
	p.t.Cleanup(func() {
		if strings.Contains(n.Output(), "DATA RACE") { // PEERHOOD_E2E_RACE builds
			p.t.Errorf("node %s reported a data race", name)
		}
		if p.t.Failed() {
			p.t.Logf("node %s:\n%s", name, n.Output())
		}
	})
	return n
}

// A printer shared by alpha (Debian's ippeveprinter) is added on bravo:
// ipptool's print-job through bravo's forward succeeds and the job's file
// reaches the printer's spool; the printer is visible on bravo's machine
// to ippfind (DNS-SD on the loopback, through avahi) and to lpstat (the
// CUPS queue bravo made with lpadmin -m everywhere, which asked the
// printer for its attributes through the forward); printer rm takes the
// queue away. A member without the right is refused.
func TestPrinterSharedAndAdded(t *testing.T) {
	t.Parallel()
	p := newPrintLab(t)
	printer := p.startPrinter()
	cups, cupsErr := p.startCUPS()
	var env []string
	if cupsErr == nil {
		env = append(env, "CUPS_SERVER="+cups)
	}
	alpha, bravo, charlie := p.node("alpha"), p.node("bravo", env...), p.node("charlie")
	office(t, alpha, bravo, charlie)

	out := alpha.MustRun("printer", "share", "lab", "--ipp", printer, "--allow", "bravo")
	if !strings.Contains(out, "ipp://127.0.0.1:8631/ipp/print") {
		t.Fatalf("printer share: %q", out)
	}
	if _, err := charlie.Run("printer", "add", "alpha:lab", "--no-queue"); err == nil || !strings.Contains(err.Error(), "charlie may not use it") {
		t.Fatalf("printer add by a member without the right: %v", err)
	}
	var added addedPrinter
	Eventually(t, 30*time.Second, func() error {
		out, err := bravo.Run("printer", "add", "alpha:lab", "--json")
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(out), &added)
	})
	t.Logf("added: %+v", added)
	if !strings.HasPrefix(added.URI, "ipp://127.0.0.1:") || !strings.HasSuffix(added.URI, "/ipp/print") {
		t.Fatalf("added printer's URI %q", added.URI)
	}
	p.printThrough(added.URI)
	p.seenByDNSSD(added, alpha, bravo)
	if cupsErr != nil {
		t.Logf("skipping the lpstat part: %v", cupsErr)
		return
	}
	p.cupsQueue(added, alpha, bravo)
}

// addedPrinter is what printer add --json tells.
type addedPrinter struct {
	URI   string   `json:"uri"`
	Queue string   `json:"queue"`
	DNSSD bool     `json:"dnssd"`
	Notes []string `json:"notes"`
	Local string   `json:"local"`
}

// printThrough prints a text file with ipptool's print-job.test to uri
// and waits for it in the printer's spool.
func (p *printLab) printThrough(uri string) {
	t := p.t
	doc := filepath.Join(p.dir, "doc.txt")
	os.WriteFile(doc, []byte("printed through peerhood\n"), 0o644)
	if out, err := p.run(nil, "ipptool", "-tv", "-T", "20", "-f", doc, uri, "print-job.test"); err != nil || !strings.Contains(out, "[PASS]") {
		t.Fatalf("ipptool print-job through the forward: %v\n%s", err, out)
	}
	Eventually(t, 10*time.Second, func() error {
		files, _ := filepath.Glob(filepath.Join(p.spool, "*"))
		for _, f := range files {
			if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("printed through peerhood")) {
				return nil
			}
		}
		return fmt.Errorf("no job in the printer's spool: %v", files)
	})
}

// seenByDNSSD checks that avahi on the loopback sees bravo's _ipp._tcp
// advertisement (ippfind) and, for a forward to an http service (the
// printer's web pages), its _http._tcp one (avahi-browse).
func (p *printLab) seenByDNSSD(added addedPrinter, alpha, bravo *Node) {
	t := p.t
	if !added.DNSSD {
		t.Fatalf("printer not advertised by DNS-SD: %v", added.Notes)
	}
	bus := []string{"DBUS_SYSTEM_BUS_ADDRESS=" + p.bus}
	port := added.Local[strings.LastIndex(added.Local, ":"):]
	Eventually(t, 15*time.Second, func() error {
		out, err := p.run(bus, "ippfind", "-T", "3", "_ipp._tcp.local.")
		if !strings.Contains(out, "peerhood-loopback.local"+port+"/ipp/print") {
			return fmt.Errorf("ippfind: %v %q", err, out)
		}
		return nil
	})
	alpha.MustRun("service", "add", "web", "127.0.0.1:8631", "--kind", "http", "--allow", "bravo")
	web := forwardTo(t, bravo, "alpha:web")
	if _, err := exec.LookPath("avahi-browse"); err != nil {
		t.Logf("avahi-browse not found: _http._tcp not checked")
		return
	}
	Eventually(t, 15*time.Second, func() error {
		out, err := p.run(bus, "avahi-browse", "-rtp", "_http._tcp")
		if !strings.Contains(out, "web\\032on\\032alpha") || !strings.Contains(out, ";127.0.0.1;"+web[strings.LastIndex(web, ":")+1:]+";") {
			return fmt.Errorf("avahi-browse _http._tcp: %v %q", err, out)
		}
		return nil
	})
}

// cupsQueue checks bravo's CUPS queue (lpstat), that CUPS as a shared
// printer accepts the DNS-SD host name through the forward, and that
// printer rm removes the queue.
func (p *printLab) cupsQueue(added addedPrinter, alpha, bravo *Node) {
	t := p.t
	if added.Queue != "alpha-lab" {
		t.Fatalf("CUPS queue %q, notes %v", added.Queue, added.Notes)
	}
	cupsEnv := []string{"CUPS_SERVER=" + p.cups}
	if out, err := p.run(cupsEnv, "lpstat", "-v", "alpha-lab"); err != nil || !strings.Contains(out, added.URI) {
		t.Fatalf("lpstat -v: %v %q", err, out)
	}
	if out := bravo.MustRun("printer", "ls"); !strings.Contains(out, "alpha:lab") || !strings.Contains(out, "alpha-lab") {
		t.Fatalf("printer ls on bravo: %q", out)
	}
	// CUPS as the shared printer answers 400 to a Host it does not know,
	// such as the DNS-SD name a member's client uses: alpha's node gives
	// it the target's own host instead.
	alpha.MustRun("printer", "share", "cups", "--ipp", "ipp://localhost:8632/printers/alpha-lab", "--allow", "bravo")
	local := forwardTo(t, bravo, "alpha:cups")
	_, lport, _ := strings.Cut(local, ":")
	if out, err := p.run(nil, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
		"-H", "Host: peerhood-loopback.local:"+lport, "http://"+local+"/printers/"); err != nil || out != "200" {
		t.Fatalf("CUPS through the forward with the DNS-SD host name: %v %q", err, out)
	}
	bravo.MustRun("printer", "rm", "alpha:lab")
	if out, err := p.run(cupsEnv, "lpstat", "-v", "alpha-lab"); err == nil {
		t.Fatalf("the queue outlived printer rm: %q", out)
	}
}
