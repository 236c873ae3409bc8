package share

import (
	"fmt"
	"slices"
	"strings"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Right is what a member may do on a share.
type Right string

// Rights, weakest first.
const (
	None      Right = ""
	ReadOnly  Right = "ro"
	ReadWrite Right = "rw"
)

// CanRead and CanWrite answer for r.
func (r Right) CanRead() bool  { return r == ReadOnly || r == ReadWrite }
func (r Right) CanWrite() bool { return r == ReadWrite }

// Rule is one access-list entry: Who is a member name, "group:G" or "*"
// (every member of the share's workgroup); Right is ro, rw, or none
// ("-": excluded). Peer binds a name rule to the member that held the
// name when the rule was stored (BindRules): a later holder of the name
// (the name freed by a removal and taken by a new joiner) does not match.
type Rule struct {
	Who   string `json:"who" cbor:"1,keyasint"`
	Right string `json:"right" cbor:"2,keyasint"`
	Peer  string `json:"peer,omitempty" cbor:"3,keyasint,omitempty"`
}

// BindRules binds each name rule of rules that is not bound yet to the
// peer ID of the member of workgroup wg holding that name now (see
// Rule.Peer); names no member holds stay unbound (they match whoever
// takes the name first... until the rule is stored again).
func BindRules(dir workgroup.Directory, wg string, rules []Rule) []Rule {
	out := slices.Clone(rules)
	if dir == nil {
		return out
	}
	for i, r := range out {
		if r.Peer != "" || r.Who == "*" || strings.HasPrefix(r.Who, "group:") {
			continue
		}
		if m, ok := dir.ByName(wg, r.Who); ok {
			out[i].Peer = m.PeerID.String()
		}
	}
	return out
}

// nameMatches reports whether name rule r is about member m: the name
// matches, m holds it without conflict (workgroup.Member.NameConflict),
// and the rule is bound to m or to nobody.
func nameMatches(r *Rule, m workgroup.Member) bool {
	return strings.EqualFold(r.Who, m.Name) && !m.NameConflict && (r.Peer == "" || r.Peer == m.PeerID.String())
}

// RightNone in a rule excludes the member.
const RightNone = "none"

// ParseRule parses WHO[=ro|rw|none]; a bare WHO means ro.
func ParseRule(s string) (Rule, error) {
	who, right, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		right = string(ReadOnly)
	}
	right = strings.ToLower(right)
	switch right {
	case string(ReadOnly), string(ReadWrite), RightNone:
	default:
		return Rule{}, fmt.Errorf("access rule %q: right must be ro, rw or none", s)
	}
	switch {
	case who == "*":
	case strings.HasPrefix(who, "group:"):
		g := strings.TrimPrefix(who, "group:")
		if g == "" || strings.ContainsAny(g, " =,") {
			return Rule{}, fmt.Errorf("access rule %q: group name is empty or has spaces", s)
		}
	default:
		if err := identity.ValidateName(who); err != nil {
			return Rule{}, fmt.Errorf("access rule %q: %w", s, err)
		}
		who = identity.CanonicalName(who)
	}
	return Rule{Who: who, Right: right}, nil
}

// DefaultRules is the access list of a share added without --allow:
// every member may read, nobody may write.
func DefaultRules() []Rule { return []Rule{{Who: "*", Right: string(ReadOnly)}} }

// RightOf computes m's right from rules. The most specific rule wins: a
// rule naming the member, else the strongest of its groups' rules (none
// in a group rule excludes unless another group grants), else "*".
// With no matching rule the member has no right.
func RightOf(rules []Rule, m workgroup.Member) Right {
	var byName, star *Rule
	groupRight, groupHit, groupNone := None, false, false
	for i := range rules {
		r := &rules[i]
		switch {
		case r.Who == "*":
			star = r
		case strings.HasPrefix(r.Who, "group:"):
			if m.InGroup(strings.TrimPrefix(r.Who, "group:")) {
				if r.Right == RightNone {
					groupNone = true
					continue
				}
				groupHit = true
				if Right(r.Right) == ReadWrite || groupRight == None {
					groupRight = Right(r.Right)
				}
			}
		default:
			if nameMatches(r, m) {
				byName = r
			}
		}
	}
	conv := func(r *Rule) Right {
		if r.Right == RightNone {
			return None
		}
		return Right(r.Right)
	}
	switch {
	case byName != nil:
		return conv(byName)
	case groupHit:
		return groupRight
	case groupNone:
		return None
	case star != nil:
		return conv(star)
	}
	return None
}

// MergeRules replaces the rules in base whose Who appears in add and
// appends the rest.
func MergeRules(base, add []Rule) []Rule {
	out := make([]Rule, 0, len(base)+len(add))
	for _, b := range base {
		keep := true
		for _, a := range add {
			if strings.EqualFold(a.Who, b.Who) {
				keep = false
			}
		}
		if keep {
			out = append(out, b)
		}
	}
	return append(out, add...)
}
