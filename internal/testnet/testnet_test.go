package testnet_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

type job struct {
	ID    string `json:"id"`
	To    string `json:"to"`
	State string `json:"state"`
	Route string `json:"route"`
	Error string `json:"error"`
}

type mail struct {
	ID      string `json:"id"`
	From    string `json:"from"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// waitJobs waits until every job in nd's queue is in state want, and
// returns them.
func waitJobs(t *testing.T, nd *testnet.Node, want string) []job {
	t.Helper()
	var jobs []job
	testutil.Eventually(t, testnet.Converge, func() error {
		if err := nd.Do(http.MethodGet, "/v1/queue", nil, &jobs); err != nil {
			return err
		}
		if len(jobs) == 0 {
			return fmt.Errorf("%s's queue is empty", nd.Name)
		}
		for _, j := range jobs {
			if j.State != want {
				return fmt.Errorf("job to %s is %s (route %s, %s), want %s", j.To, j.State, j.Route, j.Error, want)
			}
		}
		return nil
	})
	return jobs
}

// Three whole daemons in one process: a member lists another's share and
// its files (and sees it in browse); a mail to a member that is down waits
// with the mailbox member and reaches the recipient when it comes back;
// the sender sees it delivered.
func TestThreeNodesShareAndMailThroughMailbox(t *testing.T) {
	t.Parallel()
	net := testnet.New(t, "alpha", "mbox", "bravo")
	net.Workgroup("office", "mbox")
	net.WaitOnline("office")
	alpha, mbox, bravo := net.Node("alpha"), net.Node("mbox"), net.Node("bravo")

	// Sharing: alpha's folder, listed by bravo over the share protocol.
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "report.txt"), []byte("quarterly"), 0o644); err != nil {
		t.Fatal(err)
	}
	alpha.Must(http.MethodPost, "/v1/shares", map[string]any{"name": "docs", "path": docs, "workgroup": "office"}, nil)
	var ls struct {
		Shares []struct {
			Name  string `json:"name"`
			Right string `json:"right"`
		} `json:"shares"`
		Entries []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"entries"`
	}
	bravo.Must(http.MethodGet, "/v1/files/ls?target="+url.QueryEscape("alpha:"), nil, &ls)
	if len(ls.Shares) != 1 || ls.Shares[0].Name != "docs" {
		t.Fatalf("bravo lists alpha's shares %+v, want docs", ls.Shares)
	}
	bravo.Must(http.MethodGet, "/v1/files/ls?target="+url.QueryEscape("alpha:docs"), nil, &ls)
	if len(ls.Entries) != 1 || ls.Entries[0].Name != "report.txt" || ls.Entries[0].Size != int64(len("quarterly")) {
		t.Fatalf("bravo lists alpha:docs as %+v", ls.Entries)
	}
	testutil.Eventually(t, testnet.Converge, func() error {
		es, err := bravo.Browse("office")
		if err != nil {
			return err
		}
		i := slices.IndexFunc(es, func(e testnet.Entry) bool { return e.Name == "alpha" })
		if i < 0 || len(es[i].Shares) != 1 || es[i].Shares[0].Name != "docs" {
			return fmt.Errorf("bravo's browse list: %+v", es)
		}
		return nil
	})

	// Mail through the mailbox while bravo is down.
	bravo.Stop()
	alpha.Must(http.MethodPost, "/v1/mail/send", map[string]any{"to": []string{"bravo"}, "subject": "greetings", "body": "hello from alpha"}, nil)
	if jobs := waitJobs(t, alpha, "deposited"); len(jobs) != 1 || jobs[0].Route != "mailbox:mbox" {
		t.Fatalf("alpha's queue: %+v", jobs)
	}
	bravo.Start()
	bravo.Connect(mbox)
	waitJobs(t, alpha, "delivered")
	var mails []mail
	bravo.Must(http.MethodGet, "/v1/mail", nil, &mails)
	if len(mails) != 1 || mails[0].Subject != "greetings" || mails[0].From != "alpha" {
		t.Fatalf("bravo's mail: %+v", mails)
	}
	var m mail
	bravo.Must(http.MethodGet, "/v1/mail/"+mails[0].ID, nil, &m)
	if m.Body != "hello from alpha" {
		t.Fatalf("mail body %q", m.Body)
	}
}
