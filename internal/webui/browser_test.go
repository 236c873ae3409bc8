package webui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/peerhood/peerhood/internal/testnet"
)

// Environment switches of the browser tests.
const (
	// bigEnv=1 uploads 50 MiB instead of 8 MiB.
	bigEnv = "PEERHOOD_UI_50MIB"
	// shotsEnv=DIR saves a screenshot of every page, light and dark, in
	// DIR (docs/screenshots: go test -run TestBrowser ./internal/webui/
	// with PEERHOOD_UI_SCREENSHOTS=$PWD/docs/screenshots).
	shotsEnv = "PEERHOOD_UI_SCREENSHOTS"
)

// findChromium returns the browser to drive, or skips the test.
func findChromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on this machine (apt-get install chromium): the browser tests cannot run")
	return ""
}

// browser starts a headless Chromium for the test; on failure the
// current page is saved as a screenshot in the test's artifact folder.
func browser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(findChromium(t)), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1100, 850), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser: no timeout on its context
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// tab is one browser tab on one node's UI.
type tab struct {
	t    testing.TB
	ctx  context.Context
	name string
}

// newTab opens a tab in a browser context of its own (its own cookies:
// each node's UI has its own session, as in separate browsers).
func newTab(t testing.TB, parent context.Context, name string) *tab {
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelT)
	tb := &tab{t: t, ctx: ctx, name: name}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		sctx, c := context.WithTimeout(ctx, 10*time.Second)
		defer c()
		if png, err := chromedp.Run(sctx, chromedp.FullScreenshot(80)); err == nil {
			p := filepath.Join(t.ArtifactDir(), "failure-"+name+".png")
			if os.WriteFile(p, png, 0o644) == nil {
				t.Logf("screenshot of %s's page: %s", name, p)
			}
		}
	})
	return tb
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// eval runs JavaScript (awaiting a promise) and returns its value.
func eval[T any](b *tab, what, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
	return v
}

// wait waits until a CSS selector matches an element.
func (b *tab) wait(what, sel string) {
	b.t.Helper()
	b.until(what, fmt.Sprintf("document.querySelector(%q)", sel))
}

// until waits until a JavaScript expression is truthy.
func (b *tab) until(what, expr string) {
	b.t.Helper()
	b.do(what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(testnet.Converge)))
}

// page goes to a hash route and waits until it has drawn.
func (b *tab) page(hash string) {
	b.t.Helper()
	eval[bool](b, "go to "+hash, fmt.Sprintf(`new Promise((ok) => {
		const before = document.body.dataset.ready;
		const done = () => { if (document.body.dataset.ready !== before) ok(true); else setTimeout(done, 20); };
		location.hash = %q; setTimeout(done, 20); })`, hash))
}

func scheme(v string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}})
		return err
	})
}

// shot saves the page in light and dark when shotsEnv is set.
func (b *tab) shot(name string) {
	b.t.Helper()
	dir := os.Getenv(shotsEnv)
	if dir == "" {
		return
	}
	for _, sc := range []string{"light", "dark"} {
		b.do("colour scheme", chromedp.EmulateViewport(1100, 760), scheme(sc), chromedp.Sleep(150*time.Millisecond))
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+sc+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("reset colour scheme", scheme(""))
}

// phoneShot saves the page at a phone's width (light) when shotsEnv is
// set.
func (b *tab) phoneShot(name string) {
	b.t.Helper()
	dir := os.Getenv(shotsEnv)
	if dir == "" {
		return
	}
	b.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Sleep(150*time.Millisecond))
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-phone.png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do("desktop width", chromedp.EmulateViewport(1100, 760))
}

// sameBrowser opens a tab in the browser context of b: the same cookie
// jar, as a second tab of one browser.
func sameBrowser(t testing.TB, b *tab, name string) *tab {
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	return &tab{t: t, ctx: ctx, name: name}
}

// login opens nd's UI in b with a one-time link from the control API,
// under host (127.0.0.1 or localhost).
func login(b *tab, nd *testnet.Node, host string) string {
	b.t.Helper()
	var l struct {
		URL      string `json:"url"`
		LoginURL string `json:"login_url"`
	}
	nd.Must(http.MethodPost, "/v1/ui/login", nil, &l)
	link := strings.Replace(l.LoginURL, "127.0.0.1", host, 1)
	b.do("log in", chromedp.Navigate(link))
	b.wait("first page", "body[data-ready]")
	at, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	if strings.Contains(at, "token") || !strings.HasSuffix(at, "/") {
		b.t.Fatalf("after login the address is %q: want the clean UI address", at)
	}
	return strings.Replace(l.URL, "127.0.0.1", host, 1)
}

func sha(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// twoNodes starts alpha and beta in workgroup "home"; beta shares docs
// (alpha may write) and pub (alpha may read). It returns the workgroup
// ID and beta's two folders.
func twoNodes(t *testing.T) (*testnet.Net, string, string, string) {
	t.Setenv("PEERHOOD_UI_ADDR", "127.0.0.1:0")
	t.Setenv("PEERHOOD_WEBDAV_ADDR", "off")
	net := testnet.New(t, "alpha", "beta")
	net.Workgroup("home")
	alpha, beta := net.Node("alpha"), net.Node("beta")
	docs, pub := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(pub, "readme.txt"), []byte("read me"), 0o644); err != nil {
		t.Fatal(err)
	}
	beta.Must(http.MethodPost, "/v1/shares", map[string]any{"name": "docs", "path": docs, "workgroup": "home", "allow": []string{"alpha=rw"}}, nil)
	beta.Must(http.MethodPost, "/v1/shares", map[string]any{"name": "pub", "path": pub, "workgroup": "home", "allow": []string{"alpha=ro"}}, nil)
	var wgs []struct {
		ID string `json:"id"`
	}
	alpha.Must(http.MethodGet, "/v1/workgroups", nil, &wgs)
	net.WaitOnline("home")
	return net, wgs[0].ID, docs, pub
}

func clickSel(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(sel))
}

func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}

func setFiles(sel string, files ...string) chromedp.Action[chromedp.Void] {
	return chromedp.SetUploadFiles(chromedp.CSS(sel), files)
}
