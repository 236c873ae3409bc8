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

// Sources of an address in the book.
const (
	SourceIdentify = "identify" // the member's listen addresses, from identify
	SourceDialled  = "dialled"  // the address a connection this node opened reached it on
	SourcePresence = "presence" // announced in a presence heartbeat
	SourceDHT      = "dht"      // found in the workgroup DHT
)

// Per-address dial backoff: after n failures in a row an address waits
// addrBackoffBase * 2^(n-1), at most addrBackoffMax, before it is
// dialled again (a stopped member's closed port is not dialled every
// few seconds for minutes). The cap is the member backoff's default: a
// longer one would keep a network that healed from being dialled (the
// book outlives restarts).
const (
	addrBackoffBase = 10 * time.Second
	addrBackoffMax  = 2 * time.Minute
)

func addrBackoff(fails int) time.Duration {
	d := addrBackoffBase
	for i := 1; i < fails && d < addrBackoffMax; i++ {
		d *= 2
	}
	return min(d, addrBackoffMax)
}

// Book is the address book: members' last known addresses in SQLite.
type Book struct {
	db   *store.DB
	mu   sync.Mutex
	last int64 // last seen_at written: times are kept strictly increasing
}

// BookAddr is one address of a member and what the book knows of it.
type BookAddr struct {
	Addr   ma.Multiaddr
	Source string
	Seen   time.Time // last learnt
	OK     time.Time // last connection on it (zero: never)
	Fails  int       // failed dials in a row
	Retry  time.Time // not dialled before
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

// Record stores addrs as seen now for p, learnt from source, keeping the
// newest maxBookAddrs. Relay (circuit) addresses are kept too: they are
// how a member behind a NAT is reached. An address's success and backoff
// are kept when it is seen again.
func (b *Book) Record(ctx context.Context, p peer.ID, source string, addrs []ma.Multiaddr) error {
	if len(addrs) == 0 {
		return nil
	}
	now := b.stamp()
	return b.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, a := range addrs {
			if a == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO discovery_addrs(peer_id, addr, seen_at, source) VALUES(?,?,?,?)
				ON CONFLICT(peer_id, addr) DO UPDATE SET seen_at=excluded.seen_at, source=excluded.source`,
				p.String(), a.String(), now, source); err != nil {
				return fmt.Errorf("record address of %s: %w", p, err)
			}
		}
		return prune(ctx, tx, p)
	})
}

// prune keeps p's newest maxBookAddrs addresses.
func prune(ctx context.Context, tx *sql.Tx, p peer.ID) error {
	// Through the (peer_id, seen_at) index: finds the newest row beyond
	// the limit (none: nothing to do) instead of listing them all.
	_, err := tx.ExecContext(ctx, `DELETE FROM discovery_addrs WHERE peer_id=? AND seen_at <=
		(SELECT seen_at FROM discovery_addrs WHERE peer_id=? ORDER BY seen_at DESC LIMIT 1 OFFSET ?)`, p.String(), p.String(), maxBookAddrs)
	if err != nil {
		return fmt.Errorf("prune addresses of %s: %w", p, err)
	}
	return nil
}

// Succeeded records that a connection to p on a works now (the address
// is added as dialled if the book did not have it); its backoff ends.
func (b *Book) Succeeded(ctx context.Context, p peer.ID, a ma.Multiaddr) error {
	now := b.stamp()
	return b.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO discovery_addrs(peer_id, addr, seen_at, source, ok_at) VALUES(?,?,?,?,?)
			ON CONFLICT(peer_id, addr) DO UPDATE SET seen_at=excluded.seen_at, ok_at=excluded.ok_at, fails=0, retry_at=0`,
			p.String(), a.String(), now, SourceDialled, now); err != nil {
			return fmt.Errorf("record working address of %s: %w", p, err)
		}
		return prune(ctx, tx, p)
	})
}

// Failed records failed dials of p's addresses addrs (those the book
// holds): each waits out its backoff before it is dialled again.
func (b *Book) Failed(ctx context.Context, p peer.ID, addrs []ma.Multiaddr) error {
	if len(addrs) == 0 {
		return nil
	}
	now := time.Now()
	return b.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, a := range addrs {
			var fails int
			err := tx.QueryRowContext(ctx, `SELECT fails FROM discovery_addrs WHERE peer_id=? AND addr=?`, p.String(), a.String()).Scan(&fails)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return fmt.Errorf("read backoff of %s: %w", p, err)
			}
			fails++
			if _, err := tx.ExecContext(ctx, `UPDATE discovery_addrs SET fails=?, retry_at=? WHERE peer_id=? AND addr=?`,
				fails, now.Add(addrBackoff(fails)).UnixMilli(), p.String(), a.String()); err != nil {
				return fmt.Errorf("record failed address of %s: %w", p, err)
			}
		}
		return nil
	})
}

// Entries returns what the book knows of p's addresses, newest first.
// Rows that do not parse (written by a newer peerhood, or damaged) are
// skipped.
func (b *Book) Entries(ctx context.Context, p peer.ID) ([]BookAddr, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT addr, source, seen_at, ok_at, fails, retry_at FROM discovery_addrs
		WHERE peer_id=? ORDER BY seen_at DESC`, p.String())
	if err != nil {
		return nil, fmt.Errorf("read addresses of %s: %w", p, err)
	}
	defer rows.Close()
	var out []BookAddr
	for rows.Next() {
		var s string
		var seen, ok, retry int64
		var e BookAddr
		if err := rows.Scan(&s, &e.Source, &seen, &ok, &e.Fails, &retry); err != nil {
			return nil, fmt.Errorf("read addresses of %s: %w", p, err)
		}
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue
		}
		e.Addr, e.Seen, e.Retry = a, time.UnixMilli(seen), time.UnixMilli(retry)
		if ok > 0 {
			e.OK = time.UnixMilli(ok)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Addrs returns p's known addresses, newest first.
func (b *Book) Addrs(ctx context.Context, p peer.ID) ([]ma.Multiaddr, error) {
	es, err := b.Entries(ctx, p)
	out := make([]ma.Multiaddr, 0, len(es))
	for _, e := range es {
		out = append(out, e.Addr)
	}
	return out, err
}

// Dialable splits p's known addresses into those that may be dialled at
// now and those waiting out a backoff.
func (b *Book) Dialable(ctx context.Context, p peer.ID, now time.Time) (ready, waiting []ma.Multiaddr, err error) {
	es, err := b.Entries(ctx, p)
	for _, e := range es {
		if now.Before(e.Retry) {
			waiting = append(waiting, e.Addr)
		} else {
			ready = append(ready, e.Addr)
		}
	}
	return ready, waiting, err
}

// Forget drops every address of p (a revoked member).
func (b *Book) Forget(ctx context.Context, p peer.ID) error {
	if _, err := b.db.ExecContext(ctx, `DELETE FROM discovery_addrs WHERE peer_id=?`, p.String()); err != nil {
		return fmt.Errorf("forget addresses of %s: %w", p, err)
	}
	return nil
}
