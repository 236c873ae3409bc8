package spool

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// `inbox accept`: a received message's files are written under a folder
// the user names, each through a temporary name renamed into place (see
// placer), so a crash or a full disk never leaves a partial file under a
// real name. The destination is recorded (accepting) before writing: the
// temporary files of an accept cut short are removed when the node starts
// and when the accept is run again. An accept repeated after a crash
// finds the files already in place (same bytes) and completes.

// AcceptResult tells where accepted files went.
type AcceptResult struct {
	ID    string   `json:"id"`
	Dest  string   `json:"dest"`
	Files []string `json:"files"`
}

// testHookBeforeAcceptRecord, when set, runs after an accept placed its
// files and before it records the item as accepted (a crash there).
var testHookBeforeAcceptRecord func(id string)

// acceptRow is what Accept reads of an inbox row.
type acceptRow struct {
	hash, staged, accepting string
	inline                  []byte
}

// Accept decrypts a received message and writes its files under dest (an
// absolute folder), never overwriting a file. Accepting again after a
// crash completes the first accept (files already there with the same
// bytes count as written).
func (s *Service) Accept(ctx context.Context, id, dest string) (AcceptResult, error) {
	if !filepath.IsAbs(dest) {
		return AcceptResult{}, fmt.Errorf("%w: destination %q must be an absolute path", ErrInvalid, dest)
	}
	it, err := s.Item(ctx, id, true)
	if err != nil {
		return AcceptResult{}, err
	}
	if it.State != ItemNew {
		return AcceptResult{}, fmt.Errorf("%w: %s was already accepted", ErrConflict, it.ID)
	}
	var row acceptRow
	if err := s.db.QueryRowContext(ctx, `SELECT hash, inline, staged, accepting FROM spool_inbox WHERE handle=?`, it.ID).
		Scan(&row.hash, &row.inline, &row.staged, &row.accepting); err != nil {
		return AcceptResult{}, err
	}
	key := "accept-" + it.ID
	if !s.lock(key) {
		return AcceptResult{}, fmt.Errorf("%w: %s is being accepted", ErrConflict, it.ID)
	}
	defer s.unlock(key)
	if row.accepting != "" && row.accepting != dest {
		removeTemps(row.accepting, tempTag(it.ID), it.Files)
	}
	if err := s.durableExec(ctx, `UPDATE spool_inbox SET accepting=? WHERE handle=?`, dest, it.ID); err != nil {
		return AcceptResult{}, fmt.Errorf("accept %s: %w", it.ID, err)
	}
	written, err := s.extractItem(it, row, dest)
	if err != nil {
		return AcceptResult{}, fmt.Errorf("accept %s: %w", it.ID, err)
	}
	if testHookBeforeAcceptRecord != nil {
		testHookBeforeAcceptRecord(it.ID)
	}
	for i := range written {
		written[i] = filepath.Join(dest, written[i])
	}
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return recordAccepted(ctx, tx, it.ID, written) }); err != nil {
		return AcceptResult{}, fmt.Errorf("accept %s: record: %w", it.ID, err)
	}
	s.releaseCiphertext(ctx, row.hash)
	if row.staged != "" {
		os.RemoveAll(s.spool.plainDir(row.staged))
	}
	return AcceptResult{ID: it.ID, Dest: dest, Files: written}, nil
}

// tempTag is the tag of an item's temporary files (see tempName).
func tempTag(handle string) string { return "accept-" + handle }

// extractItem writes an item's files under dest: from its staging
// folder, its spool file or its inline ciphertext.
func (s *Service) extractItem(it Item, row acceptRow, dest string) ([]string, error) {
	tag := tempTag(it.ID)
	switch {
	case row.staged != "":
		return acceptStaged(s.spool.plainDir(row.staged), it.Files, dest, tag)
	case row.inline == nil:
		return extractFile(s.spool.path(row.hash), s.id.Age, dest, tag)
	}
	var hdr *PayloadHeader
	var body io.Reader
	hdr, body, err := openPayload(bytes.NewReader(row.inline), s.id.Age)
	if err != nil {
		return nil, err
	}
	return extractPayload(hdr, body, dest, tag)
}

// cleanAccepts removes the temporary files of accepts a crash cut short.
func (s *Service) cleanAccepts(ctx context.Context) {
	rows, err := s.db.QueryContext(ctx, `SELECT handle, files, accepting FROM spool_inbox WHERE accepting != ''`)
	if err != nil {
		s.log.Warn("look for interrupted accepts", "err", err)
		return
	}
	type left struct {
		handle, dest string
		files        []FileEntry
	}
	var ls []left
	for rows.Next() {
		var l left
		var files string
		if rows.Scan(&l.handle, &files, &l.dest) == nil {
			_ = jsonUnmarshal(files, &l.files)
			ls = append(ls, l)
		}
	}
	rows.Close()
	for _, l := range ls {
		removeTemps(l.dest, tempTag(l.handle), l.files)
		if _, err := s.db.ExecContext(ctx, `UPDATE spool_inbox SET accepting='' WHERE handle=?`, l.handle); err != nil {
			s.log.Warn("clear interrupted accept", "id", l.handle, "err", err)
		}
		s.log.Info("removed the temporary files of an interrupted accept", "id", l.handle, "dest", l.dest)
	}
}

// acceptStaged links (or, across file systems, copies) a staged copy's
// files into dest through a placer: a link gives the complete staged file
// its real name at once; a copy goes through a temporary name.
func acceptStaged(stageDir string, files []FileEntry, dest, tag string) (written []string, err error) {
	p, err := newPlacer(dest, tag)
	if err != nil {
		return nil, err
	}
	defer func() { p.close(err) }()
	for i, f := range files {
		if err := p.prepare(f); err != nil {
			return nil, err
		}
		if err := placeStaged(p, i, f, filepath.Join(stageDir, filepath.FromSlash(f.Path))); err != nil {
			return nil, err
		}
		written = append(written, filepath.FromSlash(f.Path))
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return written, nil
}

// placeStaged gives the staged file src f's name under p: a hard link
// where the file system allows, else a copy through a temporary file. A
// real name already holding the same bytes counts as placed.
func placeStaged(p *placer, i int, f FileEntry, src string) error {
	name := filepath.FromSlash(f.Path)
	dir, err := p.root.Open(filepath.Dir(name))
	if err != nil {
		return err
	}
	err = linkFile(src, dir, filepath.Base(name))
	dir.Close()
	if err == nil {
		p.placed = append(p.placed, name)
		return nil
	}
	in, oerr := os.Open(src)
	if oerr != nil {
		return oerr
	}
	defer in.Close()
	if errors.Is(err, fs.ErrExist) {
		return p.sameAs(in, f)
	}
	out, err := p.create(i, f)
	if err != nil {
		return err
	}
	if _, err := io.Copy(onlyWriter{p.writer(i, f, out)}, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", f.Path, err)
	}
	return p.commit(i, f, out)
}
