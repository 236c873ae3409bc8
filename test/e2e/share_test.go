package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/zeebo/blake3"
)

type lsResult struct {
	Shares []struct {
		Name  string `json:"name"`
		Right string `json:"right"`
	} `json:"shares"`
	Entries []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	} `json:"entries"`
}

type transferResult struct {
	Files       int    `json:"files"`
	Bytes       int64  `json:"bytes"`
	ResumedFrom int64  `json:"resumed_from"`
	SHA256      string `json:"sha256"`
	Digest      string `json:"digest"` // "blake3:HEX" or "sha256:HEX"
}

// office makes alpha create workgroup "office" and the others join it.
func office(t *testing.T, alpha *Node, others ...*Node) {
	t.Helper()
	alpha.MustRun("workgroup", "create", "office")
	for _, n := range others {
		tok := strings.TrimSpace(strings.SplitN(alpha.MustRun("invite"), "\n", 2)[0])
		n.MustRun("join", tok)
	}
}

func writeRandom(t *testing.T, path string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// Share, ls, get, put, mkdir, mv, rm with real processes; the access list
// is enforced: a read-only member cannot write, an excluded member sees
// nothing of the share.
func TestShareAccessAndFiles(t *testing.T) {
	t.Parallel()
	alpha, bravo, charlie, delta := StartNode(t, "alpha"), StartNode(t, "bravo"), StartNode(t, "charlie"), StartNode(t, "delta")
	office(t, alpha, bravo, charlie, delta)

	dir := t.TempDir()
	data := writeRandom(t, filepath.Join(dir, "report.bin"), 3<<20+7)
	alpha.MustRun("share", "add", "docs", dir, "--allow", "*=ro", "--allow", "charlie=rw", "--allow", "delta=none")
	if out := alpha.MustRun("share", "ls"); !strings.Contains(out, "docs") || !strings.Contains(out, "charlie=rw") {
		t.Fatalf("share ls: %q", out)
	}

	got := shareReadOnly(t, bravo, charlie, delta, data)
	shareWriter(t, charlie, bravo, dir)
	shareExcluded(t, delta)
	shareListChanged(t, alpha, bravo, dir, got, data)
}

// browseShares is what browse on n lists of member's shares, as
// name=right, comma-separated (the shares n may see).
func browseShares(n *Node, member string) string {
	var es []struct {
		Name   string `json:"name"`
		Shares []struct {
			Name  string `json:"name"`
			Right string `json:"right"`
		} `json:"shares"`
	}
	n.JSON(&es, "browse")
	var parts []string
	for _, e := range es {
		if e.Name == member {
			for _, sh := range e.Shares {
				parts = append(parts, sh.Name+"="+sh.Right)
			}
		}
	}
	return strings.Join(parts, ",")
}

// shareReadOnly: bravo reads alpha's docs (one file holding data) and
// cannot write; browse shows each member its own right. It returns
// bravo's copy of the file.
func shareReadOnly(t *testing.T, bravo, charlie, delta *Node, data []byte) string {
	var ls lsResult
	Eventually(t, 15*time.Second, func() error {
		out, err := bravo.Run("ls", "alpha:", "--json")
		if err != nil {
			return err
		}
		return jsonInto(out, &ls)
	})
	if len(ls.Shares) != 1 || ls.Shares[0].Name != "docs" || ls.Shares[0].Right != "ro" {
		t.Fatalf("bravo ls alpha: %+v", ls)
	}
	Eventually(t, 15*time.Second, func() error {
		if got := browseShares(bravo, "alpha"); got != "docs=ro" {
			return fmt.Errorf("bravo browses alpha's shares as %q, want docs=ro", got)
		}
		if got := browseShares(charlie, "alpha"); got != "docs=rw" {
			return fmt.Errorf("charlie browses alpha's shares as %q, want docs=rw", got)
		}
		return nil
	})
	if got := browseShares(delta, "alpha"); got != "" {
		t.Fatalf("excluded delta browses alpha's shares as %q", got)
	}
	bravo.JSON(&ls, "ls", "alpha:docs")
	if len(ls.Entries) != 1 || ls.Entries[0].Name != "report.bin" || ls.Entries[0].Size != int64(len(data)) {
		t.Fatalf("bravo ls alpha:docs: %+v", ls)
	}
	got := filepath.Join(t.TempDir(), "r.bin")
	bravo.MustRun("get", "alpha:docs/report.bin", got)
	if b, _ := os.ReadFile(got); !bytes.Equal(b, data) {
		t.Fatal("bravo's copy differs")
	}
	if _, err := bravo.Run("put", got, "alpha:docs/evil.bin"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("read-only put: %v", err)
	}
	if _, err := bravo.Run("rm", "alpha:docs/report.bin"); err == nil {
		t.Fatal("read-only rm accepted")
	}
	for _, bad := range []string{"alpha:docs/../../etc/passwd", "alpha:docs/a\\..\\b", "alpha:docs/CON"} {
		if _, err := bravo.Run("get", bad, t.TempDir()); err == nil || !strings.Contains(err.Error(), "refused path") {
			t.Fatalf("get %s: %v", bad, err)
		}
	}
	return got
}

// shareWriter: charlie writes into alpha's docs (in dir), recursive both
// ways.
func shareWriter(t *testing.T, charlie, bravo *Node, dir string) {
	up := filepath.Join(t.TempDir(), "up.txt")
	os.WriteFile(up, []byte("from charlie"), 0o644)
	charlie.MustRun("mkdir", "alpha:docs/inbox")
	charlie.MustRun("put", up, "alpha:docs/inbox/")
	if b, _ := os.ReadFile(filepath.Join(dir, "inbox", "up.txt")); string(b) != "from charlie" {
		t.Fatalf("charlie's upload: %q", b)
	}
	charlie.MustRun("mv", "alpha:docs/inbox/up.txt", "alpha:docs/inbox/done.txt")
	charlie.MustRun("rm", "-r", "alpha:docs/inbox")
	if _, err := os.Stat(filepath.Join(dir, "inbox")); !os.IsNotExist(err) {
		t.Fatalf("inbox still there: %v", err)
	}
	// Recursive both ways.
	tree := t.TempDir()
	os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
	os.WriteFile(filepath.Join(tree, "sub", "a.txt"), []byte("a"), 0o644)
	charlie.MustRun("put", "-r", tree, "alpha:docs/tree")
	if b, _ := os.ReadFile(filepath.Join(dir, "tree", "sub", "a.txt")); string(b) != "a" {
		t.Fatalf("put -r: %q", b)
	}
	back := t.TempDir()
	bravo.MustRun("get", "-r", "alpha:docs/tree", filepath.Join(back, "t"))
	if b, _ := os.ReadFile(filepath.Join(back, "t", "sub", "a.txt")); string(b) != "a" {
		t.Fatalf("get -r: %q", b)
	}
}

// shareExcluded: delta is excluded: sees no share, gets nothing.
func shareExcluded(t *testing.T, delta *Node) {
	var ls lsResult
	delta.JSON(&ls, "ls", "alpha:")
	if len(ls.Shares) != 0 {
		t.Fatalf("excluded member sees %+v", ls.Shares)
	}
	if _, err := delta.Run("get", "alpha:docs/report.bin", t.TempDir()); err == nil {
		t.Fatal("excluded member downloaded")
	}
}

// shareListChanged: the owner changes the list (bravo gains write), then
// removes the share.
func shareListChanged(t *testing.T, alpha, bravo *Node, dir, got string, data []byte) {
	var ls lsResult
	alpha.MustRun("share", "set", "docs", "--allow", "*=ro", "--allow", "bravo=rw")
	bravo.MustRun("put", got, "alpha:docs/from-bravo.bin")
	if b, _ := os.ReadFile(filepath.Join(dir, "from-bravo.bin")); !bytes.Equal(b, data) {
		t.Fatal("bravo's upload differs")
	}
	alpha.MustRun("share", "rm", "docs")
	ls = lsResult{}
	bravo.JSON(&ls, "ls", "alpha:")
	if len(ls.Shares) != 0 {
		t.Fatalf("removed share still listed: %+v", ls.Shares)
	}
}

// A download whose sender is SIGKILLed mid-transfer resumes where it
// stopped once the sender is back, and the file is whole.
func TestShareResumeAfterSenderKilled(t *testing.T) {
	t.Parallel()
	alpha, bravo := StartNode(t, "alpha"), StartNode(t, "bravo")
	office(t, alpha, bravo)
	dir := t.TempDir()
	const size = 256 << 20
	data := writeRandom(t, filepath.Join(dir, "big.bin"), size)
	want := sha256.Sum256(data)
	wantDigest := fmt.Sprintf("blake3:%x", blake3.Sum256(data))
	data = nil
	alpha.MustRun("share", "add", "big", dir)
	addr := alpha.TCPAddr()
	t.Log(time.Now().Format("15:04:05.000 "), "file written")

	dst := t.TempDir()
	cmd := exec.Command(bin, "--home", bravo.Home, "get", "alpha:big/big.bin", dst)
	cmd.Env = append(os.Environ(), "PEERHOOD_HOME=")
	var out testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill the sender once part of the file has arrived: it runs in
	// slices until then (stepped), so a slow poll does not miss the
	// moment.
	var part int64
	stepped(t, alpha, func() string { return "\nGET:\n" + out.String() + "\nALPHA:\n" + alpha.Output() }, func() (bool, error) {
		part = partialSize(dst)
		_, err := os.Stat(filepath.Join(dst, "big.bin"))
		return part >= 8<<20 || err == nil, nil // err == nil: done already (skipped below)
	})
	t.Logf(time.Now().Format("15:04:05.000 ")+"killing the sender at %d bytes", part)
	alpha.Kill()
	_ = cmd.Wait()
	t.Logf(time.Now().Format("15:04:05.000 ")+"get ended: %s", out.String())
	if _, err := os.Stat(filepath.Join(dst, "big.bin")); err == nil {
		t.Skipf("transfer finished before the kill (%s)", out.String())
	}
	part = partialSize(dst)
	if part <= 0 {
		t.Fatalf("no partial file kept: %s", out.String())
	}

	// alpha comes back on the same port; bravo retries and resumes.
	port := addr[strings.Index(addr, "/tcp/")+5:]
	port = port[:strings.Index(port, "/")]
	alpha.Name = ""
	alpha.Listen = []string{"/ip4/127.0.0.1/tcp/" + port}
	alpha.Start()
	t.Logf(time.Now().Format("15:04:05.000 ")+"partial %d bytes; sender restarted", part)
	var res transferResult
	defer func() { t.Logf(time.Now().Format("15:04:05.000 ")+"resumed: %+v", res) }()
	Eventually(t, 30*time.Second, func() error {
		o, err := bravo.Run("get", "alpha:big/big.bin", dst, "--json")
		if err != nil {
			t.Logf(time.Now().Format("15:04:05.000 ")+"retry: %v", err)
			return err
		}
		return jsonInto(o, &res)
	})
	if res.ResumedFrom <= 0 || res.ResumedFrom > size {
		t.Fatalf("did not resume (partial was %d bytes): %+v", part, res)
	}
	f, err := os.Open(filepath.Join(dst, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := f.WriteTo(h); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%x", h.Sum(nil)) != fmt.Sprintf("%x", want) {
		t.Fatal("resumed file differs from the original")
	}
	// The whole file was checked end to end, by BLAKE3 between two
	// current nodes (SHA-256 with older ones).
	if res.Digest != wantDigest {
		t.Fatalf("the transfer reports digest %q, want %q", res.Digest, wantDigest)
	}
	if partialSize(dst) >= 0 {
		t.Fatal("partial file left behind")
	}
}

// partialSize is the size of the hidden partial download in dir, or -1.
func partialSize(dir string) int64 {
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.HasPrefix(e.Name(), ".peerhood-part-") {
			if fi, err := e.Info(); err == nil {
				return fi.Size()
			}
		}
	}
	return -1
}

func jsonInto(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode %q: %w", s, err)
	}
	return nil
}
