package discovery

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/store"
)

// maxBookAddrs is how many addresses the book keeps per peer (the most
// recently seen).
const maxBookAddrs = 16

// Book is the address book: members' last known addresses in SQLite.
type Book struct {
	db   *store.DB
	mu   sync.Mutex
	last int64 // last seen_at written: times are kept strictly increasing
}

// NewBook returns the address book over db.
func NewBook(db *store.DB) *Book { return &Book{db: db} }

// stamp returns now in unix milliseconds, after every stamp before it, so
// "newest" is well defined even within one millisecond.
func (b *Book) stamp() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = max(time.Now().UnixMilli(), b.last+1)
	return b.last
}

// Record stores addrs as seen now for p, keeping the newest maxBookAddrs.
// Relay (circuit) addresses are kept too: they are how a member behind a
// NAT is reached.
func (b *Book) Record(ctx context.Context, p peer.ID, addrs []ma.Multiaddr) error {
	if len(addrs) == 0 {
		return nil
	}
	now := b.stamp()
	return b.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, a := range addrs {
			if a == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO discovery_addrs(peer_id, addr, seen_at) VALUES(?,?,?)
				ON CONFLICT(peer_id, addr) DO UPDATE SET seen_at=excluded.seen_at`, p.String(), a.String(), now); err != nil {
				return fmt.Errorf("record address of %s: %w", p, err)
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM discovery_addrs WHERE peer_id=? AND addr NOT IN
			(SELECT addr FROM discovery_addrs WHERE peer_id=? ORDER BY seen_at DESC LIMIT ?)`, p.String(), p.String(), maxBookAddrs)
		if err != nil {
			return fmt.Errorf("prune addresses of %s: %w", p, err)
		}
		return nil
	})
}

// Addrs returns p's known addresses, newest first. Rows that do not parse
// (written by a newer peerhood, or damaged) are skipped.
func (b *Book) Addrs(ctx context.Context, p peer.ID) ([]ma.Multiaddr, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT addr FROM discovery_addrs WHERE peer_id=? ORDER BY seen_at DESC`, p.String())
	if err != nil {
		return nil, fmt.Errorf("read addresses of %s: %w", p, err)
	}
	defer rows.Close()
	var out []ma.Multiaddr
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("read addresses of %s: %w", p, err)
		}
		if a, err := ma.NewMultiaddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}

// Forget drops every address of p (a revoked member).
func (b *Book) Forget(ctx context.Context, p peer.ID) error {
	if _, err := b.db.ExecContext(ctx, `DELETE FROM discovery_addrs WHERE peer_id=?`, p.String()); err != nil {
		return fmt.Errorf("forget addresses of %s: %w", p, err)
	}
	return nil
}
