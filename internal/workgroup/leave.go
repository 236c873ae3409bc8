package workgroup

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Tidying workgroups on this node: leaving one, renaming one, and
// refusing a second workgroup under a name already used here.

// Leave stops using a workgroup on this node and deletes its local state
// (its root, roster and this node's invites). The other members learn it
// as its connections close (presence shows it offline); they keep it on
// their roster until an admin removes it, as a signed departure would
// void the certificates an admin issued and bar a later return (joining
// again, with a new invite and the same name, it is sent the same
// certificate: rejoin.go). The last
// admin of a workgroup with other members is refused unless force.
func (s *Service) Leave(ctx context.Context, wgArg string, force bool) (Info, error) {
	wg, err := s.resolve(wgArg)
	if err != nil {
		return Info{}, err
	}
	if !force && s.lastAdmin(wg.ID) {
		return Info{}, errorf(CodeConflict, "this node is the only admin of workgroup %s, which has other members: "+
			"make another admin first (peerhood invite --admin), or leave with --force (nobody could invite or remove members then)", wg.Name)
	}
	if !s.enter() {
		return Info{}, errorf(CodeUnavailable, "the workgroup service is shutting down")
	}
	defer s.leave()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"invites", "certificates", "revocations", "names", "workgroups"} {
			col := "workgroup"
			if table == "workgroups" {
				col = "id"
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+col+`=?`, wg.ID); err != nil {
				return fmt.Errorf("delete %s: %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return Info{}, fmt.Errorf("leave workgroup %s: %w", wg.Name, err)
	}
	s.leaveTopic(wg.ID)
	s.roster.removeWorkgroup(wg.ID)
	s.invMu.Lock()
	clear(s.invites)
	s.invMu.Unlock()
	if err := s.loadInvites(ctx); err != nil {
		s.log.Warn("reload invites after leaving", "err", err)
	}
	s.log.Info("left workgroup", "workgroup", wg.ID, "name", wg.Name)
	s.afterChange()
	return wg, nil
}

// lastAdmin reports whether this node is wg's only admin and others are
// members.
func (s *Service) lastAdmin(wg string) bool {
	if !s.roster.IsAdmin(wg, s.self) {
		return false
	}
	ms := s.roster.Members(wg)
	for _, m := range ms {
		if m.PeerID != s.self && m.HasRole(RoleAdmin) {
			return false
		}
	}
	return len(ms) > 1
}

// leaveTopic unsubscribes from a workgroup's roster gossip.
func (s *Service) leaveTopic(wg string) {
	s.psMu.Lock()
	defer s.psMu.Unlock()
	t, ok := s.topics[wg]
	if !ok {
		return
	}
	t.cancel()
	t.sub.Cancel()
	_ = t.topic.Close()
	if ps, err := s.host.PubSub(); err == nil {
		_ = ps.UnregisterTopicValidator(TopicName(wg))
	}
	delete(s.topics, wg)
}

// Rename gives a workgroup a new display name (admins only): a signed
// name item (name.go), stored, gossiped and carried by roster sync like
// the other roster items, so every member shows the new name. The ID, the
// keys and every certificate stay.
func (s *Service) Rename(ctx context.Context, wgArg, name string, force bool) (Info, error) {
	wg, err := s.resolve(wgArg)
	if err != nil {
		return Info{}, err
	}
	if err := validateDisplayName(name); err != nil {
		return Info{}, err
	}
	if !s.roster.IsAdmin(wg.ID, s.self) {
		return Info{}, errorf(CodeForbidden, "this node is not an admin of workgroup %s: only admins can rename it", wg.Name)
	}
	if err := s.checkNameFree(name, wg.ID, force); err != nil {
		return Info{}, err
	}
	signer, err := s.signerFor(wg.ID)
	if err != nil {
		return Info{}, err
	}
	raw, err := IssueName(signer, wg.ID, name, s.roster.NameItemOf(wg.ID), s.now())
	if err != nil {
		return Info{}, fmt.Errorf("rename workgroup: %w", err)
	}
	if !s.enter() {
		return Info{}, errorf(CodeUnavailable, "the workgroup service is shutting down")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	added, _, err := s.mergeStored(sctx, wg.ID, Bundle{Names: [][]byte{raw}})
	cancel()
	s.leave()
	if err != nil {
		return Info{}, fmt.Errorf("rename workgroup: %w", err)
	}
	if len(added.Names) != 1 {
		return Info{}, fmt.Errorf("rename workgroup: the signed name does not verify")
	}
	s.log.Info("workgroup renamed", "workgroup", wg.ID, "from", wg.Name, "to", name)
	s.publish(wg.ID, added)
	s.afterChange()
	return Info{ID: wg.ID, Name: name}, nil
}

// signerFor is what this node signs wg's roster items with: the root key
// if it holds it, else its node key (as an admin).
func (s *Service) signerFor(wg string) (Signer, error) {
	if root, _ := s.roster.Root(wg); root.Key != nil {
		return RootSigner(root.Key), nil
	}
	return NodeSigner(s.id.Key)
}

// logRename says once which name a workgroup now has and who gave it.
func (s *Service) logRename(wg string) {
	n := s.roster.NameItemOf(wg)
	if n == nil { // the one in force went (its issuer's removal came)
		root, _ := s.roster.Root(wg)
		s.log.Info("workgroup renamed", "workgroup", wg, "name", root.Name, "by", "no name item in force: the name given at creation or join")
		return
	}
	by := "the root key"
	if m, ok := s.roster.Member(wg, n.IssuerID); ok && n.IssuerID != "" {
		by = m.Name
	}
	s.log.Info("workgroup renamed", "workgroup", wg, "name", n.Name, "by", by)
}

// checkNameFree refuses a display name another workgroup of this node
// (not except) has, unless force: two workgroups named alike can only be
// told apart by ID.
func (s *Service) checkNameFree(name, except string, force bool) error {
	if force {
		return nil
	}
	for _, w := range s.roster.Workgroups() {
		if w.ID != except && strings.EqualFold(w.Name, name) {
			return errorf(CodeConflict, "this node is already in a workgroup named %q (%s); "+
				"choose another name, or use --force and tell them apart by ID", w.Name, w.ID)
		}
	}
	return nil
}
