package webui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// services: beta offers an http service to alpha; alpha's card of beta
// shows it with alpha's right, "Open a local port" makes the forward,
// and the card then links to it; the link serves beta's service.
func services(t *testing.T, a *tab, alpha, beta *testnet.Node) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "beta's wiki") }))
	defer web.Close()
	beta.Must(http.MethodPost, "/v1/services", map[string]any{"name": "wiki", "kind": "http", "workgroup": "home",
		"target": strings.TrimPrefix(web.URL, "http://"), "allow": []string{"alpha=use"}}, nil)
	testutil.Eventually(t, testnet.Converge, func() error {
		var es []struct {
			Name     string `json:"name"`
			Services []struct {
				Name string `json:"name"`
			} `json:"services"`
		}
		alpha.Must(http.MethodGet, "/v1/browse?workgroup=home", nil, &es)
		for _, e := range es {
			if e.Name == "beta" && len(e.Services) == 1 {
				return nil
			}
		}
		return fmt.Errorf("alpha's browse: %+v", es)
	})
	a.page("#/status")
	a.page("#/")
	li := `article[data-name="beta"] li[data-service="wiki"][data-kind="http"]`
	a.wait("beta's service", li+` button[data-action="forward"]`)
	if got := eval[string](a, "right", `document.querySelector('`+li+`').textContent`); !strings.Contains(got, "use") {
		t.Fatalf("service line %q: want the right shown", got)
	}
	// By keyboard: Tab from the presence form to the button, Enter.
	a.do("start at the presence form", chromedp.Focus(chromedp.CSS("#my-text")))
	a.tabTo(li + ` button[data-action="forward"]`)
	a.do("forward", chromedp.KeyEvent(kb.Enter))
	a.wait("link to the forward", li+` a.forward`)
	a.do("start at the presence form", chromedp.Focus(chromedp.CSS("#my-text")))
	a.tabTo(li + ` a.forward`)
	a.tabTo(`article[data-name="beta"] label[data-action="send-files"]`)
	href := eval[string](a, "link", `document.querySelector('`+li+` a.forward').href`)
	res, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "beta's wiki" {
		t.Fatalf("GET %s: %q, want beta's service", href, body)
	}
	a.shot("neighborhood")
	a.phoneShot("neighborhood")
}
