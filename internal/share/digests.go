package share

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/peerhood/peerhood/internal/store"
)

// Digests remembers the digests (SHA-256 in table file_digests, BLAKE3
// in file_blake3) of large files read whole, keyed by the
// file's device and inode and valid only for the same size, modification
// time and change time (the kernel moves the change time on every write,
// also when a tool puts the modification time back). A sender that finds
// a valid entry streams the file without hashing it again and sends the
// remembered digest; the receiver still hashes what it receives, so the
// end-to-end check is the same. A receiver that finds a mismatch retries
// with NoCache, and the sender then hashes and replaces the entry.
//
// Only files of at least digestMinSize are remembered: for smaller ones
// hashing costs less than the database round trip. A nil *Digests, or a
// file system without stable inodes (Windows), means no caching.
type Digests struct {
	db  *store.DB
	log *slog.Logger
}

// digestMinSize is the smallest file whose digest is remembered.
const digestMinSize = 16 << 20

// maxDigests bounds the table; the least recently used rows go first.
const maxDigests = 20000

// NewDigests returns the digest cache over db.
func NewDigests(db *store.DB, log *slog.Logger) *Digests {
	if log == nil {
		log = slog.Default()
	}
	return &Digests{db: db, log: log}
}

// fileVersion identifies one version of one file.
type fileVersion struct {
	Dev, Ino           uint64
	Size, Mtime, Ctime int64
}

// digestTable is the table and column that hold digests of algorithm h.
func digestTable(h Hash) (table, column string) {
	if h == HashBLAKE3 {
		return "file_blake3", "blake3"
	}
	return "file_digests", "sha256"
}

// Lookup returns the digest in algorithm h remembered for the version of
// the file fi describes, if any.
func (d *Digests) Lookup(ctx context.Context, h Hash, fi os.FileInfo) ([]byte, bool) {
	v, ok := versionOf(fi)
	if d == nil || !ok || v.Size < digestMinSize {
		return nil, false
	}
	table, column := digestTable(h)
	var sum []byte
	var size, mtime, ctime int64
	err := d.db.QueryRowContext(ctx, `SELECT size, mtime, ctime, `+column+` FROM `+table+` WHERE dev = ? AND ino = ?`,
		int64(v.Dev), int64(v.Ino)).Scan(&size, &mtime, &ctime, &sum)
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			d.log.Debug("digest lookup", "err", err)
		}
		return nil, false
	}
	if size != v.Size || mtime != v.Mtime || ctime != v.Ctime || len(sum) != 32 {
		return nil, false
	}
	_, _ = d.db.ExecContext(ctx, `UPDATE `+table+` SET used = ? WHERE dev = ? AND ino = ?`, time.Now().Unix(), int64(v.Dev), int64(v.Ino))
	return sum, true
}

// Remember records sum as the digest in algorithm h of the file version
// fi describes (taken before the read began; the caller checked it did
// not change).
func (d *Digests) Remember(ctx context.Context, h Hash, fi os.FileInfo, sum []byte) {
	v, ok := versionOf(fi)
	if d == nil || !ok || v.Size < digestMinSize || len(sum) != 32 {
		return
	}
	table, column := digestTable(h)
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (dev, ino, size, mtime, ctime, `+column+`, used)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (dev, ino) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,
				ctime = excluded.ctime, `+column+` = excluded.`+column+`, used = excluded.used`,
			int64(v.Dev), int64(v.Ino), v.Size, v.Mtime, v.Ctime, sum, time.Now().Unix()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE rowid IN
			(SELECT rowid FROM `+table+` ORDER BY used DESC LIMIT -1 OFFSET ?)`, maxDigests)
		return err
	})
	if err != nil {
		d.log.Debug("digest remember", "err", err)
	}
}

// Forget drops what is remembered (in every algorithm) for the file fi
// describes.
func (d *Digests) Forget(ctx context.Context, fi os.FileInfo) {
	v, ok := versionOf(fi)
	if d == nil || !ok {
		return
	}
	for _, h := range []Hash{HashSHA256, HashBLAKE3} {
		table, _ := digestTable(h)
		_, _ = d.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE dev = ? AND ino = ?`, int64(v.Dev), int64(v.Ino))
	}
}

// sameVersion reports whether a and b describe the same file version.
func sameVersion(a, b os.FileInfo) bool {
	va, oka := versionOf(a)
	vb, okb := versionOf(b)
	if !oka || !okb {
		return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
	}
	return va == vb
}
