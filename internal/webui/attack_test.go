package webui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/peerhood/peerhood/internal/testnet"
)

// evilPage, served from another port of the same loopback (same site:
// the SameSite=Strict cookie goes along), tries with the logged-in
// browser's session to create a workgroup, read the node's status and
// open the event stream; it reports in its title.
const evilPage = `<!doctype html><html><head><title>waiting</title></head><body><script>
const ui = %q;
(async () => {
  const out = [];
  try { await fetch(ui + 'api/v1/workgroups', {method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"name":"pwned"}'}); out.push('sent'); } catch (e) { out.push('post-err'); }
  try { const r = await fetch(ui + 'api/v1/status', {credentials: 'include'}); out.push('read-' + r.status); } catch (e) { out.push('read-blocked'); }
  document.title = 'done:' + out.join(',');
})();
</script></body></html>`

// A page of another local origin, in the browser that holds alpha's UI
// session, cannot act or read through it: the write is refused (no
// workgroup appears) and the read is blocked.
func crossOrigin(t *testing.T, a *tab, alpha *testnet.Node, uiURL string) {
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, evilPage, uiURL)
	}))
	defer evil.Close()
	ctx, cancel := chromedp.NewContext(a.ctx) // a tab of the same browser context: alpha's cookie
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(evil.URL)); err != nil {
		t.Fatalf("open the foreign page: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Poll[string](`document.title.startsWith('done:') && document.title`))
	if err != nil {
		t.Fatalf("foreign page: %v", err)
	}
	if strings.Contains(title, "read-200") {
		t.Fatalf("a foreign page read the node's status: %s", title)
	}
	var wgs []struct {
		Name string `json:"name"`
	}
	alpha.Must(http.MethodGet, "/v1/workgroups", nil, &wgs)
	for _, w := range wgs {
		if w.Name == "pwned" {
			t.Fatalf("a foreign page created a workgroup (%s)", title)
		}
	}
}
