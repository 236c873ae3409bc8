package webui_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// TestBrowser drives a real Chromium against two real nodes (alpha,
// beta; beta shares docs read-write and pub read-only with alpha): log
// in with the one-time link, see beta online, watch it go offline and
// come back, upload a file by the file input (progress to 100%, the
// SHA-256 matching on beta's disk), download it, rename it, delete it,
// make a folder; on the read-only share no write control shows and a
// forged write is refused; a mail composed on alpha's page, with a file
// attached from the browser, arrives in beta's inbox page (beta's UI
// open in a second tab of the same browser, alpha's staying logged in);
// a file dropped on beta's card arrives in beta's inbox as a copy. With PEERHOOD_UI_SCREENSHOTS=DIR it also saves
// every page, light and dark.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	net, wg, docs, pub := twoNodes(t)
	alpha, beta := net.Node("alpha"), net.Node("beta")
	a := newTab(t, ctx, "alpha")
	uiURL := login(a, alpha, "127.0.0.1")
	crossOrigin(t, a, alpha, uiURL)

	// The neighborhood: beta online, with its shares.
	a.wait("beta online", `article[data-name="beta"][data-presence="online"]`)
	a.wait("beta's docs share", `article[data-name="beta"] a[href$="/beta/docs"]`)

	// Beta goes away and comes back: its card greys out, then lights up.
	beta.Stop()
	start := time.Now()
	a.wait("beta offline", `article[data-name="beta"][data-presence="offline"].offline`)
	t.Logf("beta shown offline %s after it stopped", time.Since(start).Round(time.Millisecond))
	beta.Start()
	beta.Connect(alpha)
	a.wait("beta online again", `article[data-name="beta"][data-presence="online"]:not(.offline)`)

	// A second tab on alpha's status page graphs the upload below.
	st := newTab(t, ctx, "alpha-status")
	login(st, alpha, "127.0.0.1")
	st.page("#/status")
	st.wait("graph", "svg.graph")

	files(t, a, wg, docs)
	st.until("upload graphed", `Number(document.querySelector('svg.graph').dataset.out || 0) >= 8 << 20`)
	readOnly(t, a, wg, pub)
	b := mail(t, a, beta)
	t.Cleanup(func() { logRoomOnFailure(t, wg, "lobby", alpha, beta) })
	chatFlow(t, a, b, wg, beta)
	dropCopy(t, a, beta)
	services(t, a, alpha, beta)

	join(t, ctx, a, wg)
	groupsFlow(t, a, alpha, wg)

	// Alpha's page sets its presence; beta sees it.
	a.do("presence", setValue("#my-state", "away"), setValue("#my-text", "at lunch"), clickSel(`#presence button[type="submit"]`))
	testutil.Eventually(t, testnet.Converge, func() error {
		es, err := beta.Browse("home")
		for _, e := range es {
			if e.Name == "alpha" && e.Presence == "away" {
				return nil
			}
		}
		return fmt.Errorf("beta sees alpha as %+v (%v)", es, err)
	})
	a.page("#/status")
	a.wait("status", "#status")
	a.shot("status")
}

// files: upload, download, rename, delete and new folder on beta's
// writable share.
func files(t *testing.T, a *tab, wg, docs string) {
	size := 8 << 20
	if os.Getenv(bigEnv) == "1" {
		size = 50 << 20
	}
	src := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, size)
	_, _ = rand.Read(data)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha(t, src)

	a.page("#/files/" + wg + "/beta/docs")
	a.wait("upload control", "#upload-input")
	start := time.Now()
	a.do("pick the file", setFiles("#upload-input", src))
	a.wait("upload done", `.uploads li[data-name="big.bin"][data-done]`)
	t.Logf("uploaded %d MiB through the browser in %s", size>>20, time.Since(start).Round(time.Millisecond))
	if got := eval[string](a, "upload state", `document.querySelector('.uploads li[data-name="big.bin"]').dataset.done + ' ' + document.querySelector('.uploads li[data-name="big.bin"]').dataset.progress`); got != "1 100" {
		t.Fatalf("upload ended %q, want done at 100%% progress", got)
	}
	if got := sha(t, filepath.Join(docs, "big.bin")); got != want {
		t.Fatalf("SHA-256 on beta %s, want %s", got, want)
	}
	a.wait("listed", `tr[data-name="big.bin"]`)
	a.shot("files")
	a.phoneShot("files")

	got := eval[string](a, "download", `(async () => {
		const r = await fetch(document.querySelector('tr[data-name="big.bin"] a[download]').href);
		const d = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
		return r.headers.get('Content-Disposition') + ' ' + [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
	})()`)
	if !strings.HasPrefix(got, "attachment") || !strings.HasSuffix(got, " "+want) {
		t.Fatalf("download: %q, want an attachment with SHA-256 %s", got, want)
	}

	a.do("rename", clickSel(`tr[data-name="big.bin"] button[data-action="rename"]`))
	a.do("new name", setValue("#ask-input", "renamed.bin"), clickSel("#ask-ok"))
	a.wait("renamed", `tr[data-name="renamed.bin"]`)
	if _, err := os.Stat(filepath.Join(docs, "renamed.bin")); err != nil {
		t.Fatalf("after rename: %v", err)
	}
	a.do("delete", clickSel(`tr[data-name="renamed.bin"] button[data-action="delete"]`), clickSel("#ask-ok"))
	a.until("deleted", `!document.querySelector('tr[data-name="renamed.bin"]')`)
	if _, err := os.Stat(filepath.Join(docs, "renamed.bin")); !os.IsNotExist(err) {
		t.Fatalf("after delete: %v", err)
	}
	a.do("new folder", clickSel("#mkdir"), setValue("#ask-input", "sub"), clickSel("#ask-ok"))
	a.wait("folder listed", `tr[data-name="sub"] a.dir`)
	if fi, err := os.Stat(filepath.Join(docs, "sub")); err != nil || !fi.IsDir() {
		t.Fatalf("after new folder: %v", err)
	}
	zipFolder(t, a, docs)
	resumeUpload(t, a, wg, docs, src, want, size)
}

// zipFolder: a folder downloads as a zip stream holding its tree.
func zipFolder(t *testing.T, a *tab, docs string) {
	want := map[string]string{"sub/a.txt": "alpha", "sub/deep/b.txt": "beta"}
	for name, body := range want {
		p := filepath.Join(docs, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b64 := eval[string](a, "zip download", `(async () => {
		const r = await fetch(document.querySelector('tr[data-name="sub"] a.zip').href);
		if (!r.ok) return 'HTTP ' + r.status;
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ''; for (const x of b) s += String.fromCharCode(x);
		return btoa(s);
	})()`)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("zip download: %q", b64)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s in the zip: %v", f.Name, err)
		}
		got[f.Name] = string(b)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("zip holds %v, want %v", got, want)
	}
}

// readOnly: the read-only share shows no write control, and a write
// forged from the page (session, CSRF token and Origin all right) is
// refused by beta.
func readOnly(t *testing.T, a *tab, wg, pub string) {
	a.page("#/files/" + wg + "/beta/pub")
	a.wait("read-only note", "#readonly")
	a.wait("listing", `tr[data-name="readme.txt"]`)
	if n := eval[int](a, "write controls", `document.querySelectorAll('#upload-input, #mkdir, #drop, [data-action]').length`); n != 0 {
		t.Fatalf("%d write controls on a read-only share", n)
	}
	status := eval[int](a, "forged write", `fetch('/api/v1/files/content?target=beta:pub/forged.txt', {method: 'PUT', body: 'x',
		headers: {'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content}}).then((r) => r.status)`)
	if status != http.StatusForbidden {
		t.Fatalf("forged write to a read-only share: %d, want 403", status)
	}
	if _, err := os.Stat(filepath.Join(pub, "forged.txt")); !os.IsNotExist(err) {
		t.Fatalf("forged file: %v", err)
	}
}

// mail: compose on alpha's page, read on beta's.
func mail(t *testing.T, a *tab, beta *testnet.Node) *tab {
	subject := fmt.Sprintf("hello from the UI %d", time.Now().UnixNano())
	a.page("#/mail")
	a.wait("recipients", `#mail-to input[value="beta"]`)
	note := filepath.Join(t.TempDir(), "menu.txt")
	if err := os.WriteFile(note, []byte("soup, bread"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.do("compose", clickSel(`#mail-to input[value="beta"]`), setValue("#mail-subject", subject), setValue("#mail-body", "lunch at noon?"),
		setFiles("#mail-upload", note))
	a.shot("mail")
	a.phoneShot("mail")
	a.do("send", clickSel("#mail-send"))
	a.wait("queued", `#queue tr`)

	// Beta's UI in a second tab of the same browser, same host name: its
	// session cookie has a name of its own (per port), so alpha's tab
	// stays logged in.
	b := sameBrowser(t, a, "beta")
	login(b, beta, "127.0.0.1")
	if n := eval[int](b, "cookies", `document.cookie.length`); n != 0 {
		t.Fatalf("the session cookie is readable from script (%d bytes)", n)
	}
	if st := eval[int](a, "alpha still logged in", `fetch('/api/v1/status').then((r) => r.status)`); st != http.StatusOK {
		t.Fatalf("alpha's tab after logging in to beta's UI in the same browser: %d, want 200", st)
	}
	b.page("#/mail")
	b.until("mail arrives", fmt.Sprintf(`(document.querySelector('#inbox') || {textContent: ''}).textContent.includes(%q)`, subject))
	b.do("open it", clickSel(`#inbox button`))
	b.until("mail read", `(document.querySelector('.mail-body') || {textContent: ''}).textContent === 'lunch at noon?'`)
	b.until("attachment from alpha's browser", `document.querySelector('#reader').textContent.includes('attachments: menu.txt')`)
	return b
}

// join: alpha's admin page makes an invite (token and QR code); a third
// node, gamma, joins with it from its own UI, and alpha's neighborhood
// shows it.
func join(t *testing.T, parent context.Context, a *tab, wg string) {
	a.page("#/admin")
	a.wait("members", `#members tr[data-name="beta"]`)
	a.do("invite", clickSel("#invite"))
	a.wait("invite token", "#invite-token")
	a.until("QR code drawn", `document.querySelector("img.qr") && document.querySelector("img.qr").naturalWidth > 0`)
	a.shot("admin")
	token := eval[string](a, "token", `document.querySelector("#invite-token").value`)

	gamma := testnet.New(t, "gamma").Node("gamma")
	g := newTab(t, parent, "gamma")
	login(g, gamma, "127.0.0.1")
	g.wait("no workgroup yet", `a[href="#/admin"]`)
	g.page("#/admin")
	g.do("join", setValue("#join-token", token), clickSel("#join-submit"))
	g.wait("joined", fmt.Sprintf(`section[data-workgroup=%q]`, wg))
	a.page("#/")
	a.wait("gamma in alpha's neighborhood", `article[data-name="gamma"]`)
}
