package tunnel

import (
	"fmt"
	"strings"

	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Rule is one access-list entry of a service: share's Rule (WHO is a
// member name, group:G or *) with the right use or none.
type Rule = share.Rule

// Rights of a service rule.
const (
	RightUse  = "use"
	RightNone = share.RightNone
)

// ParseRule parses WHO[=use|none]; a bare WHO means use. WHO is checked
// and folded by share.ParseRule, so both lists spell members alike.
func ParseRule(s string) (Rule, error) {
	who, right, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		right = RightUse
	}
	right = strings.ToLower(right)
	if right != RightUse && right != RightNone {
		return Rule{}, fmt.Errorf("access rule %q: right must be use or none", s)
	}
	r, err := share.ParseRule(who + "=none")
	if err != nil {
		return Rule{}, err
	}
	return Rule{Who: r.Who, Right: right}, nil
}

// ParseRules parses each WHO[=use|none].
func ParseRules(ss []string) ([]Rule, error) {
	out := make([]Rule, 0, len(ss))
	for _, s := range ss {
		r, err := ParseRule(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// MayUse reports whether member m may use a service with these rules.
// The matching is share's RightOf (the most specific rule wins: the
// member's name, then its groups, then *), with use standing for ro. No
// matching rule, and an empty list, mean no.
func MayUse(rules []Rule, m workgroup.Member) bool {
	conv := make([]share.Rule, len(rules))
	for i, r := range rules {
		conv[i] = r
		if r.Right == RightUse {
			conv[i].Right = string(share.ReadOnly)
		}
	}
	return share.RightOf(conv, m).CanRead()
}
