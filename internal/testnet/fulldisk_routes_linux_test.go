//go:build linux

package testnet_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
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
}

// pool is how many items a route that uses one up per call (remove,
// leave, delete) gets before the disk fills: enough for the calls SQLite
// still finds room for, and one after freeing.
const pool = 12

// Every endpoint that writes to the node's database answers a full disk
// with 507 no_space and the same words ("disk full: free space on this
// node's disk and try again"), not 500 or 400, and works again once
// space is freed, without a restart.
func TestRoutesOnFullDisk(t *testing.T) {
	net := testnet.New(t)
	alpha := net.Add("alpha", smallHome(t, "24m")) // the workgroup's admin
	bravo := net.Add("bravo", shortHome(t))
	net.Workgroup("office")
	net.WaitOnline("office")

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

	routes := []writeRoute{
		{"presence", http.MethodPost, func(i int) (string, any) {
			return "/v1/presence", map[string]string{"state": []string{"away", "busy"}[i%2], "text": fmt.Sprint("text", i)}
		}},
		{"logoff", http.MethodPost, func(int) (string, any) { return "/v1/logoff", nil }},
		{"logon", http.MethodPost, func(int) (string, any) { return "/v1/logon", nil }},
		{"share access", http.MethodPut, func(i int) (string, any) {
			return "/v1/shares/docs/access", map[string]any{"allow": []string{[]string{"bravo=ro", "bravo=rw"}[i%2]}}
		}},
		{"share remove", http.MethodDelete, func(i int) (string, any) { return fmt.Sprint("/v1/shares/gone", i), nil }},
		{"service access", http.MethodPut, func(i int) (string, any) {
			return "/v1/services/web/access", map[string]any{"allow": []string{[]string{"bravo", "bravo=none"}[i%2]}}
		}},
		{"service remove", http.MethodDelete, func(i int) (string, any) { return fmt.Sprint("/v1/services/gone", i), nil }},
		{"room create", http.MethodPost, func(i int) (string, any) {
			return "/v1/rooms", map[string]string{"workgroup": "office", "name": fmt.Sprint("new", i)}
		}},
		{"room leave", http.MethodPost, func(i int) (string, any) { return fmt.Sprintf("/v1/rooms/left%d/leave", i), wg }},
		{"room join", http.MethodPost, func(i int) (string, any) { return fmt.Sprintf("/v1/rooms/out%d/join", i), wg }},
		{"room topic", http.MethodPut, func(i int) (string, any) {
			return "/v1/rooms/lobby/topic", map[string]string{"workgroup": "office", "topic": fmt.Sprint("topic", i)}
		}},
		{"room allow", http.MethodPut, func(i int) (string, any) {
			return "/v1/rooms/lobby/allow", map[string]any{"workgroup": "office", "allow": [][]string{{"alpha", "bravo"}, {"alpha"}}[i%2]}
		}},
		{"room retention", http.MethodPut, func(i int) (string, any) {
			return "/v1/rooms/lobby/retention", map[string]string{"workgroup": "office", "retention": fmt.Sprintf("%dd", 30+i)}
		}},
		{"chat edit", http.MethodPost, func(i int) (string, any) {
			return "/v1/chat/act", map[string]string{"kind": "edit", "target": said.ID, "text": fmt.Sprint("mine", i)}
		}},
		{"mail delete", http.MethodDelete, func(i int) (string, any) { return "/v1/mail/" + mails[i], nil }},
		{"inbox accept", http.MethodPost, func(i int) (string, any) {
			return "/v1/inbox/" + copies[i] + "/accept", map[string]string{"dest": filepath.Join(dest, fmt.Sprint(i))}
		}},
		{"inbox delete", http.MethodDelete, func(i int) (string, any) { return "/v1/inbox/" + copies[pool-1-i], nil }},
		{"invite", http.MethodPost, func(int) (string, any) { return "/v1/invites", wg }},
		{"member groups", http.MethodPost, func(i int) (string, any) {
			return "/v1/members/bravo/groups", map[string]any{"workgroup": "office", "add": []string{fmt.Sprint("g", i)}}
		}},
	}

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
		for i := 0; ; i++ {
			if i == pool-1 {
				t.Fatalf("%s: %d calls on a full disk, none refused", r.name, i)
			}
			path, body := r.req(i)
			err := do(alpha, r.method, path, body, nil)
			if err != nil {
				wantDiskFull(t, r.name+" ("+r.method+" "+path+")", err)
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
}
