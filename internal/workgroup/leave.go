package workgroup

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Tidying workgroups on this node: leaving one, renaming one, and
// refusing a second workgroup under a name already used here.

// Leave stops using a workgroup on this node and deletes its local state
// (its root, roster and this node's invites). The other members learn it
// as its connections close (presence shows it offline); they keep it on
// their roster until an admin removes it, as a signed departure would
// void the certificates an admin issued and bar a later return. The last
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
		for _, table := range []string{"invites", "certificates", "revocations", "workgroups"} {
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

// Rename changes a workgroup's display name on this node (admins only).
// The ID, the keys and every certificate stay; invites made from now on
// carry the new name, so members who join later see it. Members already
// in keep the name they know (the roster has no signed name item: see
// docs/notes-use17.md).
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
	if _, err := s.db.ExecContext(ctx, `UPDATE workgroups SET name=? WHERE id=?`, name, wg.ID); err != nil {
		return Info{}, fmt.Errorf("rename workgroup: %w", err)
	}
	s.roster.renameWorkgroup(wg.ID, name)
	s.log.Info("workgroup renamed", "workgroup", wg.ID, "from", wg.Name, "to", name)
	return Info{ID: wg.ID, Name: name}, nil
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

// renameWorkgroup changes a workgroup's display name in memory.
func (r *Roster) renameWorkgroup(wg, name string) {
	r.mu.Lock()
	if w, ok := r.wgs[wg]; ok {
		w.root.Name = name // members read it from the root when listed
	}
	r.mu.Unlock()
	r.notify()
}
