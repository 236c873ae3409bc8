package workgroup

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"time"

	"github.com/peerhood/peerhood/internal/store"
)

// loadRoster reads every workgroup and its roster from SQLite.
func (s *Service) loadRoster(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, root_pub, root_key FROM workgroups`)
	if err != nil {
		return fmt.Errorf("load workgroups: %w", err)
	}
	var roots []Root
	for rows.Next() {
		var r Root
		var pub, key []byte
		if err := rows.Scan(&r.ID, &r.Name, &pub, &key); err != nil {
			rows.Close()
			return fmt.Errorf("load workgroups: %w", err)
		}
		if len(pub) != ed25519.PublicKeySize || IDOf(pub) != r.ID {
			s.log.Error("stored workgroup has a root key that does not match its ID; skipped", "workgroup", r.ID)
			continue
		}
		r.Pub = pub
		if len(key) == ed25519.PrivateKeySize {
			r.Key = key
		}
		roots = append(roots, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load workgroups: %w", err)
	}
	for _, r := range roots {
		s.roster.AddWorkgroup(r)
		var b Bundle
		if b.Certs, err = s.queryBlobs(ctx, `SELECT raw FROM certificates WHERE workgroup=?`, r.ID); err != nil {
			return err
		}
		if b.Revs, err = s.queryBlobs(ctx, `SELECT raw FROM revocations WHERE workgroup=?`, r.ID); err != nil {
			return err
		}
		if b.Names, err = s.queryBlobs(ctx, `SELECT raw FROM names WHERE workgroup=?`, r.ID); err != nil {
			return err
		}
		if bad := s.roster.load(r.ID, b); bad > 0 {
			s.log.Warn("stored roster items that do not verify were ignored", "workgroup", r.ID, "count", bad)
		}
	}
	return nil
}

func (s *Service) queryBlobs(ctx context.Context, q string, args ...any) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("load roster: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("load roster: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// saveWorkgroup stores a new workgroup and its first roster items.
func (s *Service) saveWorkgroup(ctx context.Context, root Root, b Bundle) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var key []byte
		if root.Key != nil {
			key = root.Key
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO workgroups(id, name, root_pub, root_key, joined_at) VALUES(?,?,?,?,?)
			ON CONFLICT(id) DO NOTHING`, root.ID, root.Name, []byte(root.Pub), key, s.now().Unix())
		if err != nil {
			return fmt.Errorf("store workgroup: %w", err)
		}
		return s.saveItemsTx(ctx, tx, root, b)
	})
}

// saveItems stores roster items of root's workgroup. It takes no roster
// lock, so it can run as the persist step of Roster.MergeDurable.
func (s *Service) saveItems(ctx context.Context, root Root, b Bundle) error {
	if b.Len() == 0 {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return s.saveItemsTx(ctx, tx, root, b) })
}

// mergeStored merges items into wg's roster; they are stored before the
// roster shows them (nothing is accepted if storing fails).
func (s *Service) mergeStored(ctx context.Context, wg string, b Bundle) (added Bundle, refused int, err error) {
	root, ok := s.roster.Root(wg)
	if !ok {
		return Bundle{}, b.Len(), fmt.Errorf("store roster: unknown workgroup %s", wg)
	}
	before := s.membersFor(wg)
	added, refused, err = s.roster.MergeDurable(wg, b, "", func(added Bundle) error { return s.saveItems(ctx, root, added) })
	s.noteMembers(wg, before, added)
	return added, refused, err
}

func (s *Service) saveItemsTx(ctx context.Context, tx *sql.Tx, root Root, b Bundle) error {
	now := s.now().Unix()
	for _, raw := range b.Certs {
		c, err := ParseCert(raw, root.Pub)
		if err != nil {
			return fmt.Errorf("store certificate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO certificates(hash, workgroup, peer, name, raw, added_at) VALUES(?,?,?,?,?,?)
			ON CONFLICT(hash) DO NOTHING`, c.Hash[:], root.ID, c.PeerID.String(), c.Name, raw, now); err != nil {
			return fmt.Errorf("store certificate: %w", err)
		}
	}
	for _, raw := range b.Revs {
		rv, err := ParseRevocation(raw, root.Pub)
		if err != nil {
			return fmt.Errorf("store revocation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO revocations(hash, workgroup, peer, raw, added_at) VALUES(?,?,?,?,?)
			ON CONFLICT(hash) DO NOTHING`, rv.Hash[:], root.ID, rv.PeerID.String(), raw, now); err != nil {
			return fmt.Errorf("store revocation: %w", err)
		}
	}
	for _, raw := range b.Names {
		n, err := ParseName(raw, root.Pub)
		if err != nil {
			return fmt.Errorf("store name: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO names(hash, workgroup, raw, added_at) VALUES(?,?,?,?) ON CONFLICT(hash) DO NOTHING`,
			n.Hash[:], root.ID, raw, now); err != nil {
			return fmt.Errorf("store name: %w", err)
		}
	}
	if len(b.Names) > 0 {
		return pruneNamesTx(ctx, tx, root)
	}
	return nil
}

// pruneNamesTx deletes the stored name items of root's workgroup that the
// roster no longer keeps (prunedNames: a function of the items alone, so
// storage and memory keep the same). workgroups.name is left as given at
// creation or join: it is shown while no name item is in force.
func pruneNamesTx(ctx context.Context, tx *sql.Tx, root Root) error {
	rows, err := tx.QueryContext(ctx, `SELECT raw FROM names WHERE workgroup=?`, root.ID)
	if err != nil {
		return fmt.Errorf("prune names: %w", err)
	}
	var all []*NameItem
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return fmt.Errorf("prune names: %w", err)
		}
		if n, err := ParseName(raw, root.Pub); err == nil {
			all = append(all, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("prune names: %w", err)
	}
	for _, n := range prunedNames(all) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM names WHERE hash=?`, n.Hash[:]); err != nil {
			return fmt.Errorf("prune names: %w", err)
		}
	}
	return nil
}

// merge stores received items that are new and valid, adds them to the
// roster and applies the consequences (revoked peers are cut off). It
// returns how many items were new. Close waits for a merge under way, so
// what the roster accepted before Close returns is stored.
func (s *Service) merge(ctx context.Context, wg string, b Bundle, from string) int {
	if !s.enter() {
		return 0
	}
	defer s.leave()
	// Whatever the caller's context, what the roster accepted is stored.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	grace := s.graceFor(wg, b)
	defer s.notifyEnd(grace)
	before := s.roster.NameItemOf(wg)
	added, refused, err := s.mergeStored(ctx, wg, b)
	if refused > 0 {
		s.log.Debug("roster items refused", "workgroup", wg, "from", from, "count", refused)
	}
	if err != nil {
		// Not accepted: a later sync brings the items again.
		s.log.Error("store roster items", "workgroup", wg, "from", from, "err", err)
		if store.IsFull(err) {
			s.missedOnFullDisk(wg) // asked for again soon (fullretry.go)
		}
		return 0
	}
	n := added.Len()
	if n == 0 {
		return 0
	}
	s.log.Info("roster updated", "workgroup", wg, "from", from, "certificates", len(added.Certs), "revocations", len(added.Revs), "names", len(added.Names))
	if after := s.roster.NameItemOf(wg); after != before {
		// A name item taken, or one no longer in force (its issuer's
		// removal came): the name shown changed.
		s.logRename(wg)
	}
	if len(added.Revs) > 0 {
		s.logRemoval(wg, added)
		s.applyRevocations(wg, added)
		return n
	}
	s.afterChange()
	return n
}
