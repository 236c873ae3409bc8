package workgroup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/peerhood/peerhood/internal/identity"
)

// MaxGroups bounds the groups one certificate may carry.
const MaxGroups = 32

// GroupChange edits a member's groups: Set replaces them all (when
// Replace), else Add and Remove are applied to the current ones.
type GroupChange struct {
	Replace bool
	Set     []string
	Add     []string
	Remove  []string
}

// CheckGroup checks a group name: the rules of node names (a DNS label);
// groups compare case-insensitively and are stored in lower case.
func CheckGroup(g string) error {
	if err := identity.ValidateName(g); err != nil {
		return fmt.Errorf("group: %w", err)
	}
	return nil
}

// apply returns the groups after the change: lower case, sorted, unique.
func (c GroupChange) apply(cur []string) ([]string, error) {
	var out []string
	if !c.Replace {
		out = slices.Clone(cur)
	}
	add := c.Add
	if c.Replace {
		add = c.Set
	}
	for _, g := range add {
		if err := CheckGroup(g); err != nil {
			return nil, err
		}
		out = append(out, identity.CanonicalName(g))
	}
	for _, g := range c.Remove {
		if err := CheckGroup(g); err != nil {
			return nil, err
		}
		g = identity.CanonicalName(g)
		out = slices.DeleteFunc(out, func(x string) bool { return identity.CanonicalName(x) == g })
	}
	for i := range out {
		out[i] = identity.CanonicalName(out[i])
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxGroups {
		return nil, fmt.Errorf("%d groups; a member may be in at most %d", len(out), MaxGroups)
	}
	return out, nil
}

// SetGroups changes a member's groups (admins only): a new certificate
// with the same name, peer, age recipient and roles and the new groups is
// signed (by the root key if this node holds it, else by this admin's
// node key), stored and gossiped like any roster item. A peer's newest
// certificate (latest not-before) is the one that counts, so the new one
// replaces the old everywhere it arrives; its not-before is made later
// than the old one's for that.
func (s *Service) SetGroups(ctx context.Context, wgArg, name string, change GroupChange) (Member, error) {
	wg, err := s.resolve(wgArg, name)
	if err != nil {
		return Member{}, err
	}
	if !s.roster.IsAdmin(wg.ID, s.self) {
		return Member{}, errorf(CodeForbidden, "this node is not an admin of workgroup %s: only admins can change groups", wg.Name)
	}
	m, err := s.roster.FindMember(wg.ID, name)
	if err != nil {
		return Member{}, fmt.Errorf("workgroup %s: %w", wg.Name, err)
	}
	groups, err := change.apply(m.Groups)
	if err != nil {
		return Member{}, errorf(CodeBadRequest, "%v", err)
	}
	if slices.Equal(groups, m.Groups) {
		return m, nil // nothing to sign
	}
	cur, ok := s.roster.current(wg.ID, m.PeerID)
	if !ok {
		return Member{}, errorf(CodeNotFound, "no member %q in workgroup %s", name, wg.Name)
	}
	root, _ := s.roster.Root(wg.ID)
	signer := RootSigner(root.Key)
	if root.Key == nil {
		if m.PeerID == s.self {
			return Member{}, errorf(CodeForbidden, "%q is this node itself; another admin must change its groups", m.Name)
		}
		if signer, err = NodeSigner(s.id.Key); err != nil {
			return Member{}, err
		}
	}
	now := s.now()
	body := CertBody{
		Workgroup: wg.ID, Name: cur.Name, Peer: []byte(m.PeerID), AgeRecipient: cur.AgeRecipient,
		Roles: slices.Clone(cur.Roles), Groups: groups,
		NotBefore: max(now.Add(-5*time.Minute).Unix(), s.roster.latestNotBefore(wg.ID, m.PeerID)+1),
		NotAfter:  max(now.Add(CertValidity).Unix(), cur.NotAfter),
	}
	raw, err := IssueCert(signer, body, now)
	if err != nil {
		return Member{}, err
	}
	if !s.enter() {
		return Member{}, errorf(CodeUnavailable, "the workgroup service is shutting down")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	added, _, err := s.mergeStored(sctx, wg.ID, Bundle{Certs: [][]byte{raw}})
	cancel()
	s.leave()
	if err != nil {
		return Member{}, fmt.Errorf("change groups: %w", err)
	}
	if len(added.Certs) != 1 {
		return Member{}, fmt.Errorf("change groups: the new certificate does not verify")
	}
	s.publish(wg.ID, added)
	after, ok := s.roster.Member(wg.ID, m.PeerID)
	if !ok || !slices.Equal(after.Groups, groups) {
		return Member{}, fmt.Errorf("change groups: the new certificate is not the one in force")
	}
	s.log.Info("member groups changed", "workgroup", wg.ID, "name", m.Name, "groups", groups)
	return after, nil
}
