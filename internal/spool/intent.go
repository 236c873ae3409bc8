package spool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// ShareReader, when Config.Shares also implements it, lets the recipient
// recognise its own completed write into a share: after a crash between
// writing a copy's files and recording the message, the sender's resend
// finds the files in place, and the recipient compares their SHA-256 with
// the payload's before acknowledging instead of refusing them as existing.
type ShareReader interface {
	// OpenFile opens a file of share name for reading (fs.ErrNotExist
	// when there is none).
	OpenFile(ctx context.Context, name, path string) (io.ReadCloser, error)
}

// testHookAfterShareWrite, when set, runs after a copy's files are written
// into a share and before the message is recorded; an error returned
// stands for a crash there.
var testHookAfterShareWrite func(id string) error

// recordShareIntent durably records that message id is about to write
// paths into share; it reports whether it was recorded before (a resend).
func (s *Service) recordShareIntent(ctx context.Context, id, share string, paths []string) (again bool, err error) {
	js, _ := json.Marshal(paths)
	err = s.durableTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO spool_share_intents(id, share, paths, created) VALUES(?,?,?,?) ON CONFLICT(id) DO NOTHING`,
			id, share, string(js), nowMs())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		again = n == 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record share write: %w", err)
	}
	return again, nil
}

// ownWrite compares the files a resent copy would write with what the
// share holds: done[i] is true when paths[i] holds exactly the payload's
// file i. A path holding other content is an error (a file that is not
// this message's), or with replace left to write again; a missing one is
// left to write.
func (s *Service) ownWrite(ctx context.Context, rd ShareReader, share string, paths []string, sizes []int64, payload io.Reader, replace bool) ([]bool, error) {
	done := make([]bool, len(paths))
	for i, p := range paths {
		h := sha256.New()
		if _, err := io.CopyN(h, payload, sizes[i]); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		want := h.Sum(nil)
		f, err := rd.OpenFile(ctx, share, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		h.Reset()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if n != sizes[i] || !bytes.Equal(h.Sum(nil), want) {
			if replace {
				continue
			}
			return nil, fmt.Errorf("%s/%s exists (the copy was sent with --no-clobber)", share, p)
		}
		done[i] = true
	}
	// Read to the end so age authenticates the final chunk.
	if n, err := io.Copy(io.Discard, payload); err != nil || n != 0 {
		return nil, fmt.Errorf("payload ends badly (%d trailing bytes): %v", n, err)
	}
	return done, nil
}

// skipDone yields from body only the bytes of the files not done; read it
// to the end (or close it) so that it stops reading body.
func skipDone(body io.Reader, sizes []int64, done []bool) *io.PipeReader {
	pr, pw := io.Pipe()
	go func() {
		for i, n := range sizes {
			var err error
			if done[i] {
				_, err = io.CopyN(io.Discard, body, n)
			} else {
				_, err = io.CopyN(pw, body, n)
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	return pr
}

func pick[T any](xs []T, done []bool) []T {
	var out []T
	for i, x := range xs {
		if !done[i] {
			out = append(out, x)
		}
	}
	return out
}

// writeShareFiles writes a copy's files into a share exactly once: the
// intent is recorded first; on a resend, files already in place with the
// payload's content are kept (only missing ones are written) and the copy
// is acknowledged. reopen opens the payload's file bytes afresh.
// With replace (a copy sent without --no-clobber) existing files are
// replaced, and on a resend a file with other content is written again.
func (s *Service) writeShareFiles(ctx context.Context, id string, m workgroup.Member, share string, paths []string, sizes []int64,
	body io.Reader, reopen func() (io.Reader, io.Closer, error), replace bool) ([]string, error) {
	again, err := s.recordShareIntent(ctx, id, share, paths)
	if err != nil {
		return nil, err
	}
	write := s.cfg.Shares.WriteFiles
	if rp, ok := s.cfg.Shares.(ShareReplacer); ok && replace {
		write = rp.ReplaceFiles
	}
	rd, canRead := s.cfg.Shares.(ShareReader)
	if again && canRead {
		pl, c, err := reopen()
		if err != nil {
			return nil, err
		}
		done, err := s.ownWrite(ctx, rd, share, paths, sizes, pl, replace)
		c.Close()
		if err != nil {
			return nil, reject("%v", err)
		}
		if n := len(pick(paths, done)); n < len(paths) {
			s.log.Info("copy into share resent after an interrupted write", "id", id, "share", share, "in_place", len(paths)-n, "missing", n)
		}
		var written []string
		pr := skipDone(body, sizes, done)
		if todo := pick(paths, done); len(todo) > 0 {
			written, err = write(ctx, m, share, todo, pick(sizes, done), pr)
			if err != nil {
				pr.CloseWithError(err)
				return nil, reject("%v", err)
			}
		}
		if _, err := io.Copy(io.Discard, pr); err != nil {
			return nil, reject("payload: %v", err)
		}
		return append(written, pick(paths, invert(done))...), nil
	}
	written, err := write(ctx, m, share, paths, sizes, body)
	if err != nil {
		// WriteFiles removed what it wrote: nothing of this message is
		// in the share, so a later resend starts afresh.
		if derr := s.durableExec(ctx, `DELETE FROM spool_share_intents WHERE id=?`, id); derr != nil {
			s.log.Warn("forget share write", "id", id, "err", derr)
		}
		return nil, reject("%v", err)
	}
	return written, nil
}

func invert(b []bool) []bool {
	out := make([]bool, len(b))
	for i := range b {
		out[i] = !b[i]
	}
	return out
}
