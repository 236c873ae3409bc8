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

// Digests remembers the SHA-256 of large files read whole, keyed by the
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

// Lookup returns the digest remembered for the version of the file fi
// describes, if any.
func (d *Digests) Lookup(ctx context.Context, fi os.FileInfo) ([]byte, bool) {
	v, ok := versionOf(fi)
	if d == nil || !ok || v.Size < digestMinSize {
		return nil, false
	}
	var sum []byte
	var size, mtime, ctime int64
	err := d.db.QueryRowContext(ctx, `SELECT size, mtime, ctime, sha256 FROM file_digests WHERE dev = ? AND ino = ?`,
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
	_, _ = d.db.ExecContext(ctx, `UPDATE file_digests SET used = ? WHERE dev = ? AND ino = ?`, time.Now().Unix(), int64(v.Dev), int64(v.Ino))
	return sum, true
}

// Remember records sum as the digest of the file version fi describes
// (taken before the read began; the caller checked it did not change).
func (d *Digests) Remember(ctx context.Context, fi os.FileInfo, sum []byte) {
	v, ok := versionOf(fi)
	if d == nil || !ok || v.Size < digestMinSize || len(sum) != 32 {
		return
	}
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO file_digests (dev, ino, size, mtime, ctime, sha256, used)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (dev, ino) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,
				ctime = excluded.ctime, sha256 = excluded.sha256, used = excluded.used`,
			int64(v.Dev), int64(v.Ino), v.Size, v.Mtime, v.Ctime, sum, time.Now().Unix()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM file_digests WHERE rowid IN
			(SELECT rowid FROM file_digests ORDER BY used DESC LIMIT -1 OFFSET ?)`, maxDigests)
		return err
	})
	if err != nil {
		d.log.Debug("digest remember", "err", err)
	}
}

// Forget drops what is remembered for the file fi describes.
func (d *Digests) Forget(ctx context.Context, fi os.FileInfo) {
	v, ok := versionOf(fi)
	if d == nil || !ok {
		return
	}
	_, _ = d.db.ExecContext(ctx, `DELETE FROM file_digests WHERE dev = ? AND ino = ?`, int64(v.Dev), int64(v.Ino))
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
