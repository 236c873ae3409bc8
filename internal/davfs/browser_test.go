package davfs

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// evilPage, opened from the gateway, tries with the browser's
// credentials to read, overwrite, delete and plant files (synchronous
// XHR: done before the load event) and reports in its title.
const evilPage = `<!doctype html><html><head><title>waiting</title></head><body><script>
function x(m, u, b) { try { var r = new XMLHttpRequest(); r.open(m, u, false); r.send(b === undefined ? null : b); return r.status } catch (e) { return 'err' } }
var got = [x('GET', '/alpha/docs/hello.txt'), x('PUT', '/alpha/docs/hello.txt', 'pwned'), x('DELETE', '/alpha/docs/victim.txt'), x('PUT', '/alpha/docs/planted.txt', 'x')];
document.title = 'ran:' + got.join(',');
</script></body></html>`

const evilSVG = `<svg xmlns="http://www.w3.org/2000/svg"><script>
var r = new XMLHttpRequest(); r.open('DELETE', '/alpha/docs/victim.txt', false); r.send(null);
</script></svg>`

// findChromium returns the browser to drive, or skips the test.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on this machine (apt-get install chromium): the browser test cannot run")
	return ""
}

// TestBrowserCannotRunPlantedPage: a member plants evil.html and
// evil.svg in a share; the victim opens them from its own gateway in a
// real (headless) Chromium that holds the gateway's credentials. The
// pages must not read, overwrite, delete or plant anything.
func TestBrowserCannotRunPlantedPage(t *testing.T) {
	exe := findChromium(t)
	e := newEnv(t)
	write(t, filepath.Join(e.docs, "victim.txt"), "victim")
	write(t, filepath.Join(e.docs, "evil.html"), evilPage)
	write(t, filepath.Join(e.docs, "evil.svg"), evilSVG)
	write(t, filepath.Join(e.docs, "noext"), evilPage)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(User+":"+testToken))
	// The first call starts the browser: no timeout on its context.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()
	if _, err := chromedp.Call(tctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
		t.Fatalf("set credentials: %v", err)
	}
	if _, err := chromedp.CallBrowser(tctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorDeny}); err != nil {
		t.Fatalf("deny downloads: %v", err)
	}
	// The browser reaches the gateway with the credentials: the listing
	// opens (a control, so a pass below is not a broken browser).
	title, err := navTitle(tctx, e.srv.URL+"/alpha/docs/")
	if err != nil || title != "peerhood /alpha/docs/" {
		t.Fatalf("listing in the browser: title %q, %v", title, err)
	}
	for _, page := range []string{"evil.html", "evil.svg", "noext"} {
		title, err := navTitle(tctx, e.srv.URL+"/alpha/docs/"+page)
		t.Logf("%s: title %q, navigate: %v", page, title, err)
		if strings.HasPrefix(title, "ran:") {
			t.Errorf("%s ran script in the gateway's origin: %s", page, title)
		}
	}
	if got := read(t, filepath.Join(e.docs, "hello.txt")); got != "hello, world\n" {
		t.Errorf("hello.txt holds %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.docs, "victim.txt")); err != nil {
		t.Errorf("victim.txt: %v", err)
	}
	if exists(filepath.Join(e.docs, "planted.txt")) {
		t.Error("the page planted a file")
	}
}

// navTitle opens u and returns the page's title once it has loaded.
func navTitle(ctx context.Context, u string) (string, error) {
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return "", err
	}
	return chromedp.Run(ctx, chromedp.Title())
}
