package share

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Access-list mistakes caught when a list is stored (CheckRuleNames is
// also tunnel's check, for services' lists): a rule naming no
// member of the share's workgroup (a typo, or a member yet to join) is
// refused unless forced, and then kept with a warning; a folder shared
// under another name with a different list is stored with a warning, as
// a member reaches it through either list.

// checkRuleNames refuses rules naming no member of wg, unless force; the
// warnings say which rules were kept anyway.
func (svc *Service) checkRuleNames(wg string, rules []Rule, force bool) (warnings []string, err error) {
	return CheckRuleNames(svc.dir, wg, rules, force)
}

// CheckRuleNames is the one check of the names in an access list, for
// shares and services (tunnel) alike: a rule naming no member of wg (by
// dir) is refused with 400 not_member unless force; with force it is kept
// and the warnings say so. "*" and group rules are not checked.
func CheckRuleNames(dir workgroup.Directory, wg string, rules []Rule, force bool) (warnings []string, err error) {
	var unknown []string
	for _, r := range rules {
		if r.Who == "*" || strings.HasPrefix(r.Who, "group:") {
			continue
		}
		if _, ok := dir.ByName(wg, r.Who); !ok {
			unknown = append(unknown, r.Who)
		}
	}
	if len(unknown) == 0 {
		return nil, nil
	}
	wgName := wg
	for _, w := range dir.Workgroups() {
		if w.ID == wg {
			wgName = w.Name
		}
	}
	names := strings.Join(unknown, ", ")
	if !force {
		return nil, api.Errorf(400, "not_member", "%s: no such member in workgroup %s (see peerhood members); "+
			"to keep the rule for a member yet to join, add --force", names, wgName)
	}
	return []string{fmt.Sprintf("%s: no such member in workgroup %s yet; the rule applies to whoever joins under that name first", names, wgName)}, nil
}

// contradictions warns of other shares of the same folder, or of a folder
// inside or around it, with another access list.
func (svc *Service) contradictions(ctx context.Context, cfg Config) []string {
	all, err := svc.Configs().List(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, o := range all {
		if o.Name == cfg.Name || !overlaps(filepath.Clean(o.Path), filepath.Clean(cfg.Path)) {
			continue
		}
		if o.Workgroup == cfg.Workgroup && sameRules(o.Rules, cfg.Rules) {
			continue
		}
		where := "the same folder"
		if filepath.Clean(o.Path) != filepath.Clean(cfg.Path) {
			where = o.Path + ", which overlaps " + cfg.Path + ","
		}
		out = append(out, fmt.Sprintf("%s is also shared as %s with %s: members reach its files through either list",
			where, o.Name, rulesString(o.Rules)))
	}
	return out
}

func sameRules(a, b []Rule) bool {
	key := func(rs []Rule) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = strings.ToLower(r.Who) + "=" + r.Right
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

func rulesString(rs []Rule) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Who + "=" + r.Right
	}
	return strings.Join(parts, ",")
}
