package workgroup

import (
	"context"
	"fmt"
)

// Remove revokes a member (admin only): a signed revocation is stored,
// gossiped and carried by roster sync; the member is disconnected.
func (s *Service) Remove(ctx context.Context, wgArg, name string) (Member, error) {
	wg, err := s.resolve(wgArg)
	if err != nil {
		return Member{}, err
	}
	if !s.roster.IsAdmin(wg.ID, s.self) {
		return Member{}, errorf(CodeForbidden, "this node is not an admin of workgroup %s: only admins can remove members", wg.Name)
	}
	m, ok := s.roster.ByName(wg.ID, name)
	if !ok {
		return Member{}, errorf(CodeNotFound, "no member %q in workgroup %s", name, wg.Name)
	}
	if m.PeerID == s.self {
		return Member{}, errorf(CodeBadRequest, "%q is this node itself; another admin must remove it", m.Name)
	}
	root, _ := s.roster.Root(wg.ID)
	signer := RootSigner(root.Key)
	if root.Key == nil {
		if signer, err = NodeSigner(s.id.Key); err != nil {
			return Member{}, err
		}
	}
	raw, err := IssueRevocation(signer, wg.ID, m.PeerID, m.Name, s.now())
	if err != nil {
		return Member{}, err
	}
	added, _ := s.roster.Merge(wg.ID, Bundle{Revs: [][]byte{raw}})
	if len(added.Revs) != 1 {
		return Member{}, fmt.Errorf("revocation does not verify")
	}
	if err := s.saveItems(ctx, wg.ID, added); err != nil {
		return Member{}, err
	}
	s.log.Info("member removed", "workgroup", wg.ID, "name", m.Name, "peer", m.PeerID)
	s.publish(wg.ID, added)
	s.host.Unprotect(m.PeerID, protectTag)
	s.afterChange()
	return m, nil
}
