package webui_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// groupsFlow: on alpha's admin page, make the group "family" with beta
// and gamma, take gamma out, then remove the group; each step is in the
// members' certificates (alpha's member list) and on the page.
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
	a.page("#/admin")
	form := `form.group-new`
	a.wait("groups panel", form)
	a.do("new group", setValue(form+` input[name="group"]`, "family"),
		clickSel(form+` input[value="beta"]`), clickSel(form+` input[value="gamma"]`), clickSel(form+` button[data-action="group-new"]`))
	row := `tr[data-group="family"]`
	a.wait("group listed", row+` li[data-member="gamma"]`)
	in("beta", true)
	in("gamma", true)
	a.shot("groups")
	a.phoneShot("groups")
	a.do("take gamma out", clickSel(row+` li[data-member="gamma"] button[data-action="ungroup"]`))
	a.until("gamma out", `!document.querySelector('tr[data-group="family"] li[data-member="gamma"]')`)
	in("gamma", false)
	a.do("remove the group", clickSel(row+` button[data-action="group-remove"]`), clickSel("#ask-ok"))
	a.until("group gone", `!document.querySelector('tr[data-group="family"]')`)
	in("beta", false)
	a.page("#/")
}
