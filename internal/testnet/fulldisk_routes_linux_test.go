//go:build linux

package testnet_test

import (
	"fmt"
	gonet "net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// writeRoute is an endpoint that writes to the node's database: req(i)
// is its i-th call (a fresh name, text or item each time, so calling it
// again writes again).
type writeRoute struct {
	name   string
	method string
	req    func(i int) (path string, body any)
	// refused, when set, checks that the refused call i left nothing
	// half-done (no file under its final name, no stray forward).
	refused func(i int) error
	// tries: how many calls may take before one is refused (pool-1 when
	// zero); a route whose items are costly to make gets fewer.
	tries int
}

// pool is how many items a route that uses one up per call (remove,
// leave, delete) gets before the disk fills: enough for the calls SQLite
// still finds room for, and one after freeing.
const pool = 12

// few is how many items the routes whose items are costly to make
// (workgroups, printers, forwards) get: every route so far was refused
// at its first call after the fill (SQLite's spare pages go to the
// messages and invites before it).
const few = 4

// Every endpoint that writes to the node's database answers a full disk
// with 507 no_space and the same words ("disk full: free space on this
// node's disk and try again"), not 500 or 400, and works again once
// space is freed, without a restart.
func TestRoutesOnFullDisk(t *testing.T) {
	net := testnet.New(t)
	alpha := net.Add("alpha", smallHome(t, "24m")) // the workgroup's admin
	bravo := net.Add("bravo", shortHome(t))
	charlie := net.Add("charlie", shortHome(t)) // stopped: alpha's jobs to it wait in the queue
	net.Workgroup("office")
	net.WaitOnline("office")
	charlie.Stop()

	wg := map[string]string{"workgroup": "office"}
	folder := t.TempDir()
	alpha.Must(http.MethodPost, "/v1/shares", map[string]string{"workgroup": "office", "name": "docs", "path": folder}, nil)
	alpha.Must(http.MethodPost, "/v1/services", map[string]string{"workgroup": "office", "name": "web", "target": "127.0.0.1:8080"}, nil)
	alpha.Must(http.MethodPost, "/v1/rooms", map[string]string{"workgroup": "office", "name": "lobby"}, nil)
	var said struct {
		ID string `json:"id"`
	}
	alpha.Must(http.MethodPost, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "lobby", "text": "mine"}, &said)
	for i := range pool {
		alpha.Must(http.MethodPost, "/v1/shares", map[string]string{"workgroup": "office", "name": fmt.Sprint("gone", i), "path": folder}, nil)
		alpha.Must(http.MethodPost, "/v1/services", map[string]string{"workgroup": "office", "name": fmt.Sprint("gone", i), "target": "127.0.0.1:8080"}, nil)
		alpha.Must(http.MethodPost, "/v1/rooms", map[string]string{"workgroup": "office", "name": fmt.Sprint("left", i)}, nil)
		alpha.Must(http.MethodPost, "/v1/rooms", map[string]string{"workgroup": "office", "name": fmt.Sprint("out", i)}, nil)
		alpha.Must(http.MethodPost, fmt.Sprintf("/v1/rooms/out%d/leave", i), wg, nil)
		bravo.Must(http.MethodPost, "/v1/mail/send", map[string]any{"workgroup": "office", "to": []string{"alpha"}, "subject": fmt.Sprint("mail", i), "body": "b"}, nil)
		f := filepath.Join(t.TempDir(), fmt.Sprint("copy", i))
		if err := os.WriteFile(f, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
		bravo.Must(http.MethodPost, "/v1/copy", map[string]any{"workgroup": "office", "to": []string{"alpha"}, "paths": []string{f}}, nil)
	}
	var mails, copies []string // IDs, oldest first
	testutil.Eventually(t, testnet.Converge, func() error {
		var ms, cs []received
		if err := do(alpha, http.MethodGet, "/v1/mail", nil, &ms); err != nil {
			return err
		}
		if err := do(alpha, http.MethodGet, "/v1/inbox", nil, &cs); err != nil {
			return err
		}
		cs = slices.DeleteFunc(cs, func(c received) bool { // chat attachments are copies too
			return len(c.Files) == 0 || !strings.HasPrefix(filepath.Base(c.Files[0].Path), "copy")
		})
		if len(ms) < pool || len(cs) < pool {
			return fmt.Errorf("alpha has %d mails and %d copies, want %d each", len(ms), len(cs), pool)
		}
		mails, copies = nil, nil
		for _, m := range ms {
			mails = append(mails, m.ID)
		}
		for _, c := range cs {
			copies = append(copies, c.ID)
		}
		return nil
	})
	dest := t.TempDir()
	ex := extraSetup(t, alpha, bravo)

	routes := []writeRoute{
		{name: "presence", method: http.MethodPost, req: func(i int) (string, any) {
			return "/v1/presence", map[string]string{"state": []string{"away", "busy"}[i%2], "text": fmt.Sprint("text", i)}
		}},
		{name: "logoff", method: http.MethodPost, req: func(int) (string, any) { return "/v1/logoff", nil }},
		{name: "logon", method: http.MethodPost, req: func(int) (string, any) { return "/v1/logon", nil }},
		{name: "share access", method: http.MethodPut, req: func(i int) (string, any) {
			return "/v1/shares/docs/access", map[string]any{"allow": []string{[]string{"bravo=ro", "bravo=rw"}[i%2]}}
		}},
		{name: "share remove", method: http.MethodDelete, req: func(i int) (string, any) { return fmt.Sprint("/v1/shares/gone", i), nil }},
		{name: "service access", method: http.MethodPut, req: func(i int) (string, any) {
			return "/v1/services/web/access", map[string]any{"allow": []string{[]string{"bravo", "bravo=none"}[i%2]}}
		}},
		{name: "service remove", method: http.MethodDelete, req: func(i int) (string, any) { return fmt.Sprint("/v1/services/gone", i), nil }},
		{name: "room create", method: http.MethodPost, req: func(i int) (string, any) {
			return "/v1/rooms", map[string]string{"workgroup": "office", "name": fmt.Sprint("new", i)}
		}},
		{name: "room leave", method: http.MethodPost, req: func(i int) (string, any) { return fmt.Sprintf("/v1/rooms/left%d/leave", i), wg }},
		{name: "room join", method: http.MethodPost, req: func(i int) (string, any) { return fmt.Sprintf("/v1/rooms/out%d/join", i), wg }},
		{name: "room topic", method: http.MethodPut, req: func(i int) (string, any) {
			return "/v1/rooms/lobby/topic", map[string]string{"workgroup": "office", "topic": fmt.Sprint("topic", i)}
		}},
		{name: "room allow", method: http.MethodPut, req: func(i int) (string, any) {
			return "/v1/rooms/lobby/allow", map[string]any{"workgroup": "office", "allow": [][]string{{"alpha", "bravo"}, {"alpha"}}[i%2]}
		}},
		{name: "room retention", method: http.MethodPut, req: func(i int) (string, any) {
			return "/v1/rooms/lobby/retention", map[string]string{"workgroup": "office", "retention": fmt.Sprintf("%dd", 30+i)}
		}},
		{name: "chat edit", method: http.MethodPost, req: func(i int) (string, any) {
			return "/v1/chat/act", map[string]string{"kind": "edit", "target": said.ID, "text": fmt.Sprint("mine", i)}
		}},
		{name: "mail forward", method: http.MethodPost, req: func(i int) (string, any) {
			return "/v1/mail/" + mails[pool-1] + "/forward", map[string]any{"to": []string{"bravo"}, "note": fmt.Sprint("fw", i)}
		}},
		{name: "mail reply", method: http.MethodPost, req: func(i int) (string, any) {
			return "/v1/mail/" + mails[pool-1] + "/reply", map[string]any{"body": fmt.Sprint("re", i)}
		}},
		{name: "mail delete", method: http.MethodDelete, req: func(i int) (string, any) { return "/v1/mail/" + mails[i], nil }},
		{name: "inbox accept", method: http.MethodPost, req: func(i int) (string, any) {
			return "/v1/inbox/" + copies[i] + "/accept", map[string]string{"dest": filepath.Join(dest, fmt.Sprint(i))}
		}},
		{name: "inbox delete", method: http.MethodDelete, req: func(i int) (string, any) { return "/v1/inbox/" + copies[pool-1-i], nil }},
		{name: "invite", method: http.MethodPost, req: func(int) (string, any) { return "/v1/invites", wg }},
		{name: "member groups", method: http.MethodPost, req: func(i int) (string, any) {
			return "/v1/members/bravo/groups", map[string]any{"workgroup": "office", "add": []string{fmt.Sprint("g", i)}}
		}},
	}
	routes = append(routes, ex.routes...)

	free := testutil.FillDisk(t, alpha.Home).Free
	next := map[string]int{} // each route's next i
	for _, r := range routes {
		// Use up what SQLite still finds room for in its WAL file's pages
		// (a small write may fit where a message does not): messages,
		// then invites (a small row each), then the route until it
		// refuses. A route that uses an item up gets pool-1 tries, one
		// is left for after freeing.
		sayUntilFull(t, alpha, "/v1/chat/say", map[string]string{"workgroup": "office", "room": "lobby"}, "fill-"+r.name)
		untilFull(t, alpha, "/v1/invites", func(int) map[string]string { return wg })
		tries := r.tries
		if tries == 0 {
			tries = pool - 1
		}
		for i := 0; ; i++ {
			if i == tries {
				t.Fatalf("%s: %d calls on a full disk, none refused", r.name, i)
			}
			path, body := r.req(i)
			err := do(alpha, r.method, path, body, nil)
			if err != nil {
				wantDiskFull(t, r.name+" ("+r.method+" "+path+")", err)
				if r.refused != nil {
					if err := r.refused(i); err != nil {
						t.Errorf("%s refused: %v", r.name, err)
					}
				}
				next[r.name] = i // refused: nothing stored, the same call again
				break
			}
		}
	}

	free()
	for _, r := range routes {
		path, body := r.req(next[r.name])
		if err := do(alpha, r.method, path, body, nil); err != nil {
			t.Errorf("%s (%s %s) after freeing: %v", r.name, r.method, path, err)
		}
	}
	for _, check := range ex.after {
		if err := check(); err != nil {
			t.Error(err)
		}
	}
}

// extra is what extraSetup made: more routes for the table, and checks
// for after freeing.
type extra struct {
	routes []writeRoute
	after  []func() error
}

type fwd struct {
	Local   string `json:"local"`
	Member  string `json:"member"`
	Service string `json:"service"`
	Persist bool   `json:"persist"`
}

// extraSetup makes the items of the routes that change a workgroup
// (rename, leave, remove a member), forwards and printers, the queue
// (jobs to charlie, stopped) and chat attachments (direct messages from
// bravo with a file), and returns their routes.
func extraSetup(t *testing.T, alpha, bravo *testnet.Node) extra {
	t.Helper()
	wg := "office"
	// A TCP target for bravo's service and printers (a forward's probe
	// checks the target answers).
	ln := testutil.ServeTCP(t, func(c gonet.Conn) { c.Close() })
	target := ln.Addr().String()
	bravo.Must(http.MethodPost, "/v1/services", map[string]any{"workgroup": wg, "name": "bweb", "target": target, "allow": []string{"alpha"}}, nil)
	var forwards []string // alpha's persisted forwards to remove
	for i := range few {
		for _, p := range []string{"bp", "bq"} { // to add, to remove
			bravo.Must(http.MethodPost, "/v1/printers/shared", map[string]any{"workgroup": wg, "name": fmt.Sprint(p, i), "ipp": "ipp://" + target + "/printers/x", "allow": []string{"alpha"}}, nil)
		}
		alpha.Must(http.MethodPost, "/v1/printers", map[string]any{"workgroup": wg, "member": "bravo", "name": fmt.Sprint("bq", i), "no_queue": true}, nil)
		var f fwd
		alpha.Must(http.MethodPost, "/v1/forwards", map[string]any{"workgroup": wg, "member": "bravo", "service": "bweb", "persist": true}, &f)
		forwards = append(forwards, f.Local)
		alpha.Must(http.MethodPost, "/v1/workgroups", map[string]string{"name": fmt.Sprint("lv", i)}, nil)
		alpha.Must(http.MethodPost, "/v1/workgroups", map[string]string{"name": fmt.Sprint("rm", i)}, nil)
		var inv struct {
			Token string `json:"token"`
		}
		alpha.Must(http.MethodPost, "/v1/invites", map[string]string{"workgroup": fmt.Sprint("rm", i)}, &inv)
		bravo.Must(http.MethodPost, "/v1/join", map[string]string{"token": inv.Token, "name": "bravo"}, nil)
	}
	var rn struct {
		ID string `json:"id"`
	}
	alpha.Must(http.MethodPost, "/v1/workgroups", map[string]string{"name": "rn"}, &rn)

	// Jobs that wait: mail to charlie (stopped).
	for i := range pool {
		alpha.Must(http.MethodPost, "/v1/mail/send", map[string]any{"workgroup": wg, "to": []string{"charlie"}, "subject": fmt.Sprint("wait", i), "body": "b"}, nil)
	}
	var jobs []string
	var queue []struct {
		ID    string `json:"id"`
		To    string `json:"to"`
		State string `json:"state"`
	}
	alpha.Must(http.MethodGet, "/v1/queue", nil, &queue)
	for _, j := range queue {
		if j.To == "charlie" && j.State != "delivered" {
			jobs = append(jobs, j.ID)
		}
	}
	if len(jobs) < pool {
		t.Fatalf("alpha queues %d jobs to charlie, want %d: %+v", len(jobs), pool, queue)
	}

	// Direct messages from bravo with a file: each copy waits in alpha's
	// inbox for a save.
	var said []string
	for i := range few {
		f := filepath.Join(t.TempDir(), fmt.Sprint("att", i, ".txt"))
		if err := os.WriteFile(f, []byte(strings.Repeat("attached ", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		var m struct {
			ID string `json:"id"`
		}
		bravo.Must(http.MethodPost, "/v1/chat/msg", map[string]any{"workgroup": wg, "member": "alpha", "text": fmt.Sprint("att", i), "attach": []string{f}}, &m)
		said = append(said, m.ID)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		var ms []struct {
			ID          string `json:"id"`
			Attachments []struct {
				Copy      string `json:"copy"`
				CopyState string `json:"copy_state"`
			} `json:"attachments"`
		}
		if err := do(alpha, http.MethodGet, "/v1/chat/history?workgroup=office&peer=bravo", nil, &ms); err != nil {
			return err
		}
		ready := 0
		for _, m := range ms {
			if slices.Contains(said, m.ID) && len(m.Attachments) == 1 && m.Attachments[0].CopyState == "new" {
				ready++
			}
		}
		if ready < few {
			return fmt.Errorf("alpha has the copies of %d of %d attachments", ready, few)
		}
		return nil
	})
	saved := func(i int) string { return filepath.Join(alpha.Home, fmt.Sprint("saved", i)) }

	forwardsOf := func(service string) ([]fwd, error) {
		var all, out []fwd
		if err := do(alpha, http.MethodGet, "/v1/forwards", nil, &all); err != nil {
			return nil, err
		}
		for _, f := range all {
			if strings.HasPrefix(f.Service, service) {
				out = append(out, f)
			}
		}
		return out, nil
	}
	// printersAdded: each added printer's forward, and no other forward
	// to a bp printer (a refused add left one, persisted, before).
	printersAdded := func(want int) func() error {
		return func() error {
			var l struct {
				Added []struct {
					Local   string `json:"local"`
					Service string `json:"service"`
				} `json:"added"`
			}
			if err := do(alpha, http.MethodGet, "/v1/printers", nil, &l); err != nil {
				return err
			}
			fs, err := forwardsOf("bp")
			if err != nil {
				return err
			}
			n := 0
			for _, p := range l.Added {
				if strings.HasPrefix(p.Service, "bp") {
					n++
				}
			}
			if n != want || len(fs) != want {
				return fmt.Errorf("alpha lists %d bp printers and %d forwards to them (%+v), want %d of each", n, len(fs), fs, want)
			}
			return nil
		}
	}
	var added int // bp printers alpha added
	var ex extra
	ex.routes = []writeRoute{
		{name: "workgroup rename", method: http.MethodPost, tries: few, req: func(i int) (string, any) {
			return "/v1/workgroups/rename", map[string]string{"workgroup": rn.ID, "name": fmt.Sprint("rn-", i)}
		}},
		{name: "workgroup leave", method: http.MethodPost, tries: few - 1, req: func(i int) (string, any) {
			return "/v1/workgroups/leave", map[string]string{"workgroup": fmt.Sprint("lv", i)}
		}},
		{name: "member remove", method: http.MethodDelete, tries: few - 1, req: func(i int) (string, any) {
			return fmt.Sprintf("/v1/members/bravo?workgroup=rm%d", i), nil
		}},
		{name: "forward add", method: http.MethodPost, tries: few, req: func(int) (string, any) {
			return "/v1/forwards", map[string]any{"workgroup": wg, "member": "bravo", "service": "bweb", "persist": true}
		}},
		{name: "forward remove", method: http.MethodDelete, tries: few - 1, req: func(i int) (string, any) {
			return "/v1/forwards?what=" + forwards[i], nil
		}},
		{name: "printer share", method: http.MethodPost, tries: few, req: func(i int) (string, any) {
			return "/v1/printers/shared", map[string]string{"workgroup": wg, "name": fmt.Sprint("ap", i), "ipp": "ipp://127.0.0.1:631/printers/x"}
		}},
		{name: "printer add", method: http.MethodPost, tries: few - 1, req: func(i int) (string, any) {
			added = i
			return "/v1/printers", map[string]any{"workgroup": wg, "member": "bravo", "name": fmt.Sprint("bp", i), "no_queue": true}
		}, refused: func(i int) error { return printersAdded(i)() }},
		{name: "printer remove", method: http.MethodDelete, tries: few - 1, req: func(i int) (string, any) {
			return fmt.Sprintf("/v1/printers?what=bravo:bq%d", i), nil
		}},
		{name: "queue cancel", method: http.MethodPost, req: func(i int) (string, any) { return "/v1/queue/" + jobs[i] + "/cancel", nil }},
		{name: "queue retry", method: http.MethodPost, req: func(i int) (string, any) { return "/v1/queue/" + jobs[pool-1-i] + "/retry", nil }},
		{name: "chat save", method: http.MethodPost, tries: few - 1, req: func(i int) (string, any) {
			return "/v1/chat/save", map[string]string{"message": said[i], "dest": saved(i)}
		}, refused: func(i int) error {
			if _, err := os.Stat(filepath.Join(saved(i), fmt.Sprint("att", i, ".txt"))); err == nil {
				return fmt.Errorf("the attachment of message %d is in %s, though the save failed", i, saved(i))
			}
			return nil
		}},
	}
	ex.after = append(ex.after, func() error { return printersAdded(added + 1)() })
	return ex
}
