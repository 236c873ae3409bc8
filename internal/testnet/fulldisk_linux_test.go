//go:build linux

package testnet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// smallHome mounts a tmpfs of size (mode 0700, a valid state folder) at a
// short path, or skips the test when it cannot (not root). It is
// unmounted after the nodes on it stop (cleanups run last first).
func smallHome(t *testing.T, size string) string {
	t.Helper()
	return testutil.Tmpfs{Size: size, Mode: "0700"}.Mount(t)
}

// do calls nd's control API with a bound well under testnet.Converge: a
// call on a full disk must answer, not hang.
func do(nd *testnet.Node, method, path string, req, resp any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return nd.Client.Do(ctx, method, path, req, resp)
}

type chatMsg struct {
	ID     string `json:"id"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

func history(nd *testnet.Node, q string) ([]string, error) {
	var ms []chatMsg
	if err := do(nd, http.MethodGet, "/v1/chat/history?workgroup=office&"+q, nil, &ms); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out, nil
}

func waitHistory(t *testing.T, nd *testnet.Node, q string, want ...string) {
	t.Helper()
	testutil.Eventually(t, testnet.Converge, func() error {
		got, err := history(nd, q)
		if err != nil {
			return err
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				return fmt.Errorf("%s's history %s lacks %q: %q", nd.Name, q, w, got)
			}
		}
		return nil
	})
}

// wantDiskFull checks err is the API's answer for a full disk: 507, and a
// message that says so.
func wantDiskFull(t *testing.T, what string, err error) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%s on a full disk: %v, want an API error", what, err)
	}
	if ae.Status != http.StatusInsufficientStorage || !strings.Contains(ae.Message, "disk full") {
		t.Fatalf("%s on a full disk: %d %s %q, want 507 saying disk full", what, ae.Status, ae.Code, ae.Message)
	}
	t.Logf("%s on a full disk: %d %s", what, ae.Status, ae.Message)
}

// A member whose state folder fills up while it runs: say and a direct
// message answer 507 "disk full" at once (no hang, no "database is
// locked"); what it stored stays; once space is freed it works again
// without a restart, and what the others sent meanwhile arrives.
func TestChatOnFullDisk(t *testing.T) {
	net := testnet.New(t, "bravo")
	alpha := net.Add("alpha", smallHome(t, "24m"))
	bravo := net.Node("bravo")
	net.Workgroup("office")
	net.WaitOnline("office")

	bravo.Must(http.MethodPost, "/v1/rooms", map[string]string{"workgroup": "office", "name": "lobby"}, nil)
	bravo.Must(http.MethodPost, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "lobby", "text": "before"}, nil)
	testutil.Eventually(t, testnet.Converge, func() error { // once alpha knows the room
		return alpha.Do(http.MethodPost, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "lobby", "text": "hello"}, nil)
	})
	alpha.Must(http.MethodPost, "/v1/chat/msg", map[string]string{"workgroup": "office", "member": "bravo", "text": "dm-before"}, nil)
	waitHistory(t, alpha, "room=lobby", "before", "hello")
	waitHistory(t, bravo, "room=lobby", "before", "hello")
	waitHistory(t, bravo, "peer=alpha", "dm-before")

	free := testutil.FillDisk(t, alpha.Home).Free
	// SQLite may still fit a few messages in its WAL's pages: say until
	// the disk refuses (each said message must then be kept), and the
	// refusal must be a clear one.
	said := sayUntilFull(t, alpha, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "lobby"}, "during")
	dms := sayUntilFull(t, alpha, "/v1/chat/msg", map[string]string{"workgroup": "office", "member": "bravo"}, "dm-during")
	// Other writes to the node's database say the same (were 503
	// "unavailable" for a share, 400 for a service).
	folder := t.TempDir()
	untilFull(t, alpha, "/v1/shares", func(i int) map[string]string {
		return map[string]string{"workgroup": "office", "name": fmt.Sprint("docs", i), "path": folder}
	})
	untilFull(t, alpha, "/v1/services", func(i int) map[string]string {
		return map[string]string{"workgroup": "office", "name": fmt.Sprint("web", i), "target": "127.0.0.1:8080"}
	})
	// The others go on meanwhile.
	bravo.Must(http.MethodPost, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "lobby", "text": "while-full"}, nil)
	bravo.Must(http.MethodPost, "/v1/chat/msg", map[string]string{"workgroup": "office", "member": "alpha", "text": "dm-while-full"}, nil)
	// What alpha stored stays readable.
	if got, err := history(alpha, "room=lobby"); err != nil || !slices.Contains(got, "before") || !slices.Contains(got, "hello") {
		t.Fatalf("alpha's lobby on a full disk: %q, %v", got, err)
	}
	time.Sleep(2 * time.Second) // let bravo's messages meet the full disk

	free()
	alpha.Must(http.MethodPost, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "lobby", "text": "after"}, nil)
	alpha.Must(http.MethodPost, "/v1/chat/msg", map[string]string{"workgroup": "office", "member": "bravo", "text": "dm-after"}, nil)
	waitHistory(t, alpha, "room=lobby", "before", "hello", "while-full", "after")
	waitHistory(t, alpha, "peer=bravo", "dm-before", "dm-while-full", "dm-after")
	waitHistory(t, bravo, "room=lobby", "after")
	waitHistory(t, bravo, "peer=alpha", "dm-after")
	waitHistory(t, alpha, "room=lobby", said...)
	// The full-text index caught up too.
	waitHistory(t, alpha, "room=lobby&search=while", "while-full")
	waitHistory(t, alpha, "peer=bravo", dms...)
}

// sayUntilFull posts texts prefix-0, prefix-1, ... with fields to path
// on nd until the node refuses one, which must be a clear disk-full
// error; it returns the texts said before.
func sayUntilFull(t *testing.T, nd *testnet.Node, path string, fields map[string]string, prefix string) []string {
	t.Helper()
	return untilFull(t, nd, path, func(i int) map[string]string {
		req := map[string]string{"text": fmt.Sprintf("%s-%d", prefix, i)}
		for k, v := range fields {
			req[k] = v
		}
		return req
	})
}

// untilFull posts req(0), req(1), ... to path on nd until the node
// refuses one, which must be a clear disk-full error (SQLite may find
// room in its WAL's pages for a while, again after a checkpoint); it
// returns the "text" or "name" of each request taken before.
func untilFull(t *testing.T, nd *testnet.Node, path string, req func(i int) map[string]string) []string {
	t.Helper()
	var took []string
	for i := range 5000 {
		r := req(i)
		err := do(nd, http.MethodPost, path, r, nil)
		if err != nil {
			wantDiskFull(t, path, err)
			t.Logf("%s: %d taken before the disk refused", path, len(took))
			return took
		}
		took = append(took, r["text"]+r["name"])
	}
	t.Fatalf("%s: %d requests on a full disk, none refused", path, len(took))
	return nil
}

type received struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Files   []struct {
		Path string `json:"path"`
	} `json:"files"`
}

// inbox is nd's received mail and copies, by subject or first file name.
func inbox(nd *testnet.Node) (map[string]int, error) {
	var ms, cs []received
	if err := do(nd, http.MethodGet, "/v1/mail", nil, &ms); err != nil {
		return nil, err
	}
	if err := do(nd, http.MethodGet, "/v1/inbox", nil, &cs); err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, it := range append(ms, cs...) {
		key := it.Subject
		if it.Kind != "mail" && len(it.Files) > 0 {
			key = it.Files[0].Path
		}
		n[key]++
	}
	return n, nil
}

// Mail and a queued copy sent to a member whose disk is full: the
// sender's jobs are never marked delivered for what the recipient did not
// store (a receipt only for what it keeps); they are retried, and arrive
// exactly once after space is freed, with no restart.
func TestSpoolToFullDisk(t *testing.T) {
	net := testnet.New(t, "bravo")
	// Room for the copy once freed: the spool keeps 256 MiB free
	// (spool.Config.MinFree) beyond what it receives.
	alpha := net.Add("alpha", smallHome(t, "300m"))
	bravo := net.Node("bravo")
	net.Workgroup("office")
	net.WaitOnline("office")

	bravo.Must(http.MethodPost, "/v1/mail/send", map[string]any{"workgroup": "office", "to": []string{"alpha"}, "subject": "warm", "body": "b"}, nil)
	warm := waitJobs(t, bravo, "delivered")[0].ID

	src := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(src, make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	free := testutil.FillDisk(t, alpha.Home).Free
	// Use up what SQLite can still write in its WAL's pages.
	sayUntilFull(t, alpha, "/v1/chat/msg", map[string]string{"workgroup": "office", "member": "bravo"}, "fill")
	bravo.Must(http.MethodPost, "/v1/mail/send", map[string]any{"workgroup": "office", "to": []string{"alpha"}, "subject": "while-full", "body": "b"}, nil)
	bravo.Must(http.MethodPost, "/v1/copy", map[string]any{"workgroup": "office", "to": []string{"alpha"}, "paths": []string{src}}, nil)

	// Sending from the full disk: a clear refusal, nothing queued.
	err := do(alpha, http.MethodPost, "/v1/mail/send", map[string]any{"workgroup": "office", "to": []string{"bravo"}, "subject": "from-full", "body": "b", "attach": []string{src}}, nil)
	wantDiskFull(t, "mail send with an attachment", err)
	var aq []struct {
		job
		Kind string `json:"kind"`
	}
	alpha.Must(http.MethodGet, "/v1/queue", nil, &aq)
	for _, j := range aq {
		if j.Kind == "mail" {
			t.Fatalf("a refused send left a job: %+v", j)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(alpha.Home, "spool", "tmp", "*")); len(left) != 0 {
		t.Fatalf("a refused send left %v", left)
	}

	// While the disk is full: retried, and never delivered unless stored.
	testutil.Eventually(t, testnet.Converge, func() error {
		var q []struct {
			job
			Kind     string `json:"kind"`
			Attempts int    `json:"attempts"`
		}
		if err := do(bravo, http.MethodGet, "/v1/queue", nil, &q); err != nil {
			return err
		}
		have, err := inbox(alpha)
		if err != nil {
			return err
		}
		retried := 0
		for _, j := range q {
			key := map[string]string{"mail": "while-full", "file": "big.bin"}[j.Kind]
			if j.Kind == "" || j.ID == warm {
				continue
			}
			if j.State == "delivered" && have[key] != 1 {
				t.Fatalf("%s job delivered, recipient holds %d: %+v", j.Kind, have[key], j)
			}
			if j.Kind == "file" && j.State == "delivered" {
				t.Fatalf("a 2 MiB copy delivered onto a full disk")
			}
			if j.Attempts >= 2 || j.State == "delivered" {
				retried++
			}
		}
		if retried < 2 {
			return fmt.Errorf("jobs not yet retried: %+v", q)
		}
		return nil
	})

	free()
	waitJobs(t, bravo, "delivered")
	testutil.Eventually(t, testnet.Converge, func() error {
		have, err := inbox(alpha)
		if err != nil {
			return err
		}
		if have["while-full"] != 1 || have["big.bin"] != 1 || have["warm"] != 1 {
			return fmt.Errorf("alpha holds %v, want each once", have)
		}
		return nil
	})
}

// members is nd's member list of office, by name.
func members(nd *testnet.Node) ([]string, error) {
	var ms []struct {
		Name string `json:"name"`
	}
	if err := do(nd, http.MethodGet, "/v1/members?workgroup=office", nil, &ms); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out, nil
}

// rosterRetry bounds how long after freeing its disk a member takes a
// roster update it missed: the retry's longest wait (8 s) and a sync,
// well under the periodic sync's 30 s.
const rosterRetry = 15 * time.Second

// shortHome is a fresh state folder on the ordinary disk.
func shortHome(t *testing.T) string {
	t.Helper()
	home, err := os.MkdirTemp("", "phn-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	return home
}

// The roster on a full disk: a member whose disk is full when another
// joins keeps the roster it had (readable, whole) and takes the new
// member once space is freed; a node joining on a full disk gets a clear
// error and joins once space is freed.
func TestRosterOnFullDisk(t *testing.T) {
	net := testnet.New(t, "bravo")
	alpha := net.Add("alpha", smallHome(t, "24m"))
	bravo := net.Node("bravo")
	net.Workgroup("office")
	net.WaitOnline("office")

	// A roster update while alpha's disk is full.
	free := testutil.FillDisk(t, alpha.Home).Free
	sayUntilFull(t, alpha, "/v1/chat/msg", map[string]string{"workgroup": "office", "member": "bravo"}, "fill")
	charlie := net.Add("charlie", shortHome(t))
	var inv struct {
		Token string `json:"token"`
	}
	bravo.Must(http.MethodPost, "/v1/invites", map[string]any{"workgroup": "office"}, &inv)
	charlie.Must(http.MethodPost, "/v1/join", map[string]string{"token": inv.Token, "name": "charlie"}, nil)
	testutil.Eventually(t, testnet.Converge, func() error {
		got, err := members(bravo)
		if err != nil || len(got) != 3 {
			return fmt.Errorf("bravo lists %v (%v)", got, err)
		}
		return nil
	})
	time.Sleep(time.Second) // the update reaches alpha's full disk
	if got, err := members(alpha); err != nil || len(got) < 2 || !slices.Contains(got, "alpha") || !slices.Contains(got, "bravo") {
		t.Fatalf("alpha's roster on a full disk: %v, %v", got, err)
	}
	free()
	// alpha asks for the update it missed soon after the disk has room
	// (workgroup's fullRetry, at most 8 s apart), not only at the next
	// periodic roster sync (30 s, of random phase).
	freed := time.Now()
	testutil.Eventually(t, rosterRetry, func() error {
		got, err := members(alpha)
		if err != nil || !slices.Contains(got, "charlie") {
			return fmt.Errorf("alpha lists %v (%v) %s after freeing its disk", got, err, time.Since(freed).Round(time.Second))
		}
		return nil
	})
	t.Logf("alpha took the missed roster update %s after freeing", time.Since(freed).Round(100*time.Millisecond))
	net.WaitMembers("office")

	// Joining on a full disk.
	delta := net.Add("delta", smallHome(t, "24m"))
	freeDelta := testutil.FillDisk(t, delta.Home).Free
	bravo.Must(http.MethodPost, "/v1/invites", map[string]any{"workgroup": "office"}, &inv)
	err := do(delta, http.MethodPost, "/v1/join", map[string]string{"token": inv.Token, "name": "delta"}, nil)
	if err == nil {
		t.Log("delta joined on a full disk (SQLite found room)")
	} else {
		wantDiskFull(t, "join", err)
		if got, err := members(delta); err == nil && len(got) > 0 {
			t.Fatalf("a failed join left a roster: %v", got)
		}
		freeDelta()
		freeDelta = func() {}
		delta.Must(http.MethodPost, "/v1/join", map[string]string{"token": inv.Token, "name": "delta"}, nil)
	}
	freeDelta()
	net.WaitMembers("office")
}

// An upload into a member's share whose folder is on a full disk (the
// share's own disk, not the state's): 507 no_space, no file under its
// final name, nothing but the filler left in the folder; the same upload
// works once space is freed. (WebDAV maps the same no_space to 507
// Insufficient Storage: davfs TestFullDisk, shares.go.)
func TestShareUploadToFullDisk(t *testing.T) {
	net := testnet.New(t, "alpha", "bravo")
	alpha, bravo := net.Node("alpha"), net.Node("bravo")
	net.Workgroup("office")
	folder := testutil.Tmpfs{Size: "1m"}.Mount(t)
	alpha.Must(http.MethodPost, "/v1/shares", map[string]any{"workgroup": "office", "name": "tiny", "path": folder, "allow": []string{"bravo=rw"}}, nil)
	body := make([]byte, 256<<10)
	for i := range body {
		body[i] = byte(i)
	}
	put := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := bravo.Client.Stream(ctx, http.MethodPut, "/v1/files/content?workgroup=office&target="+url.QueryEscape("alpha:tiny/big.bin"),
			bytes.NewReader(body), "application/octet-stream")
		if err != nil {
			return err
		}
		defer res.Body.Close()
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	filler := testutil.FillDisk(t, folder)
	err := put()
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusInsufficientStorage || ae.Code != "no_space" {
		t.Fatalf("upload into a full share: %v, want 507 no_space", err)
	}
	t.Logf("upload into a full share: %d %s %s", ae.Status, ae.Code, ae.Message)
	ents, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "filler" {
			t.Errorf("left in the share's folder after a refused upload: %s", e.Name())
		}
	}
	filler.Free()
	if err := put(); err != nil {
		t.Fatalf("upload after freeing: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(folder, "big.bin"))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("big.bin after freeing: %d bytes, %v; want the %d uploaded", len(got), err, len(body))
	}
}
