package webui_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// groupsFlow: on alpha's admin page, by keyboard only, make the group
// "family" with beta and gamma, take gamma out, then remove the group;
// each step is in the members' certificates (alpha's member list) and on
// the page.
func groupsFlow(t *testing.T, a *tab, alpha *testnet.Node, wg string) {
	groupsOf := func(name string) []string {
		var ms []struct {
			Name   string   `json:"name"`
			Groups []string `json:"groups"`
		}
		alpha.Must(http.MethodGet, "/v1/members?workgroup="+wg, nil, &ms)
		for _, m := range ms {
			if m.Name == name {
				return m.Groups
			}
		}
		return nil
	}
	in := func(name string, want bool) {
		t.Helper()
		testutil.Eventually(t, testnet.Converge, func() error {
			if g := groupsOf(name); slices.Contains(g, "family") != want {
				return fmt.Errorf("%s's groups %v, want family in them: %v", name, g, want)
			}
			return nil
		})
	}
	// Keyboard only: Tab to each control, type, Space and Enter.
	a.page("#/admin")
	form := `form.group-new`
	a.wait("groups panel", form)
	a.do("start at the invite button", chromedp.Focus(chromedp.CSS("#invite")))
	a.tabTo(form + ` input[name="group"]`)
	a.do("type the name", chromedp.KeyEvent("family"))
	a.tabTo(form + ` input[value="beta"]`)
	a.do("tick beta", chromedp.KeyEvent(" "))
	a.tabTo(form + ` input[value="gamma"]`)
	a.do("tick gamma", chromedp.KeyEvent(" "))
	a.tabTo(form + ` button[data-action="group-new"]`)
	a.do("make the group", chromedp.KeyEvent(kb.Enter))
	row := `tr[data-group="family"]`
	a.wait("group listed", row+` li[data-member="gamma"]`)
	in("beta", true)
	in("gamma", true)
	eval[bool](a, "scroll", `(document.querySelector('.groups').scrollIntoView(), true)`)
	a.shot("groups")
	a.phoneShot("groups")
	a.do("start at the invite button", chromedp.Focus(chromedp.CSS("#invite")))
	a.tabTo(row + ` li[data-member="gamma"] button[data-action="ungroup"]`)
	a.do("take gamma out", chromedp.KeyEvent(kb.Enter))
	a.until("gamma out", `!document.querySelector('tr[data-group="family"] li[data-member="gamma"]')`)
	in("gamma", false)
	a.do("start at the invite button", chromedp.Focus(chromedp.CSS("#invite")))
	a.tabTo(row + ` button[data-action="group-remove"]`)
	a.do("remove the group", chromedp.KeyEvent(kb.Enter))
	a.until("asked", `document.activeElement && document.activeElement.id === 'ask-ok'`)
	a.do("confirm", chromedp.KeyEvent(kb.Enter))
	a.until("group gone", `!document.querySelector('tr[data-group="family"]')`)
	in("beta", false)
	a.page("#/")
}

// tabTo presses Tab until the focus is on sel (at most 80 times): the
// control is reachable by keyboard alone.
func (b *tab) tabTo(sel string) {
	b.t.Helper()
	for range 80 {
		if eval[bool](b, "focus", fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return
		}
		b.do("Tab", chromedp.KeyEvent(kb.Tab))
	}
	b.t.Fatalf("%s: %s not reached with Tab", b.name, sel)
}
