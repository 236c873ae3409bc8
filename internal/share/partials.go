package share

import (
	"context"
	"errors"
	"io/fs"
	"time"
)

// PartialMaxAge is how long an interrupted upload's temporary file waits
// for a resume before the sweeper removes it (Syncthing keeps its
// temporary files a day; uploads of large files over slow links get
// longer).
const PartialMaxAge = 72 * time.Hour

// sweepEvery is how often the sharing service looks for stale partials.
const sweepEvery = time.Hour

// notePartial records (or refreshes) an upload's temporary file.
func (s *Service) notePartial(ctx context.Context, share, name string) {
	if _, err := s.configs.db.ExecContext(ctx, `INSERT INTO partial_uploads (share, name, touched) VALUES (?, ?, ?)
		ON CONFLICT (share, name) DO UPDATE SET touched = excluded.touched`, share, name, time.Now().Unix()); err != nil {
		s.log.Warn("record partial upload", "share", share, "err", err)
	}
}

// dropPartial forgets an upload's temporary file (committed or removed).
func (s *Service) dropPartial(ctx context.Context, share, name string) {
	if _, err := s.configs.db.ExecContext(ctx, `DELETE FROM partial_uploads WHERE share = ? AND name = ?`, share, name); err != nil {
		s.log.Warn("forget partial upload", "share", share, "err", err)
	}
}

// SweepPartials removes the temporary files of uploads nobody resumed
// since before cutoff (by the record and by the file's own mtime, so a
// resume running right now is never cut). It returns how many it removed.
func (s *Service) SweepPartials(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.configs.db.QueryContext(ctx, `SELECT share, name FROM partial_uploads WHERE touched < ?`, cutoff.Unix())
	if err != nil {
		return 0, err
	}
	type stale struct{ share, name string }
	var list []stale
	for rows.Next() {
		var st stale
		if err := rows.Scan(&st.share, &st.name); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, st)
	}
	rows.Close()
	removed := 0
	for _, st := range list {
		cfg, err := s.configs.Get(ctx, st.share)
		if err != nil { // the share is gone: nothing to clean there
			s.dropPartial(ctx, st.share, st.name)
			continue
		}
		l, err := OpenLocal(cfg.Path)
		if err != nil {
			continue // folder unavailable now (unmounted disk): try later
		}
		fi, err := l.root.Stat(st.name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.dropPartial(ctx, st.share, st.name)
		case err != nil:
		case fi.ModTime().After(cutoff):
			s.notePartial(ctx, st.share, st.name) // written since: not stale
		default:
			if err := l.root.Remove(st.name); err == nil || errors.Is(err, fs.ErrNotExist) {
				removed++
				s.log.Info("removed an abandoned partial upload", "share", st.share, "file", st.name, "size", fi.Size(), "last_write", fi.ModTime())
				s.dropPartial(ctx, st.share, st.name)
			}
		}
		l.Close()
	}
	return removed, nil
}

// firstSweep is how long after start the first sweep runs (not at once:
// a node that starts and stops leaves its database as it found it).
const firstSweep = time.Minute

// sweepLoop runs SweepPartials after firstSweep and then every sweepEvery
// until ctx ends; it closes done when it returns.
func (s *Service) sweepLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTimer(firstSweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.SweepPartials(ctx, time.Now().Add(-PartialMaxAge)); err != nil && ctx.Err() == nil {
			s.log.Warn("sweep partial uploads", "err", err)
		}
		t.Reset(sweepEvery)
	}
}

// recordMin is the smallest upload whose temporary file is recorded in
// partial_uploads and kept for a resume when interrupted. A smaller one
// costs less to send again than two database writes (a put -r of 2,000
// files of 4 KiB spent 30% of the sharing node's CPU in them): its
// temporary file is removed when the upload fails, and the one a crash
// leaves is reused by the next upload of the same file version (same
// hidden name), or stays as a hidden file of under recordMin bytes.
const recordMin = 1 << 20

// upload tracks one upload's temporary file: every way out but keep
// removes or commits it.
type upload struct {
	s             *Service
	share         string
	part          *Partial
	recorded      bool // large enough to be recorded and kept
	kept, settled bool
}

// trackUpload starts tracking part, an upload of size bytes into share.
func (s *Service) trackUpload(share string, part *Partial, size int64) *upload {
	u := &upload{s: s, share: share, part: part, recorded: size >= recordMin}
	if u.recorded {
		s.notePartial(context.Background(), share, part.name)
	}
	return u
}

// keep leaves the temporary file for a resume (a recorded upload) or
// removes it (a small one).
func (u *upload) keep() {
	if !u.recorded {
		u.part.Discard()
		return
	}
	u.part.Keep()
	u.kept = true
}

// settle forgets a committed upload.
func (u *upload) settle() {
	if u.recorded {
		u.s.dropPartial(context.Background(), u.share, u.part.name)
	}
	u.settled = true
}

// done runs when the upload's handler returns.
func (u *upload) done() {
	switch {
	case u.settled || !u.recorded:
	case u.kept:
		u.s.notePartial(context.Background(), u.share, u.part.name)
	default:
		u.s.dropPartial(context.Background(), u.share, u.part.name)
	}
}
