package chat

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// Attachments after the message (doc.go, "Attachments"): each
// attachment is linked to the received copy that holds it (LinkCopies:
// the inbox item whose subject is its Ref and whose file has its name
// and size); `peerhood chat save` writes the files from that copy and
// checks them against the message's SHA-256; a member with no copy (it
// joined the room after the message) asks a member that keeps the files
// for one (op attach of /peerhood/history/1), which queues it through
// the spool like any copy.

// SaveResult states of SaveAttachments.
const (
	SaveSaved     = "saved"     // the files are on this machine (Files)
	SaveRequested = "requested" // a member (From) queues a copy: save again when it arrived
)

// opAttach (/peerhood/history/1): queue me a copy of a message's files.
const opAttach = "attach"

// Bounds of the fetch on demand.
const (
	// answerEvery: one copy per member and reference in this time.
	answerEvery = 10 * time.Minute
	// askAtMost: members asked for one message's files.
	askAtMost = 8
)

// SaveResult is what SaveAttachments did.
type SaveResult struct {
	Message string   `json:"message"`
	State   string   `json:"state"`
	Files   []string `json:"files,omitempty"`
	Copy    string   `json:"copy,omitempty"`
	From    string   `json:"from,omitempty"`
}

func digestHex(a attachment) string { return hex.EncodeToString(a.Digest) }

// keepFiles records where this node keeps the files of as (paths[i]
// holds as[i]), attached to a message of log (a room, or "@" + peer)
// of workgroup wg: all of them or, on an error, none.
func (s *Service) keepFiles(ctx context.Context, wg, log string, as []attachment, paths []string) error {
	now := time.Now().UnixMilli()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for i, a := range as {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO chat_files(ref, digest, path, workgroup, log, added) VALUES(?,?,?,?,?,?)`,
				a.Ref, digestHex(a), paths[i], wg, log, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("chat: record where the attachments are: %w", err)
	}
	return nil
}

// keptFiles returns, by ref + "/" + digest, the paths recorded for refs;
// with wg set, only those recorded for log of wg.
func (s *Service) keptFiles(ctx context.Context, refs []string, wg, log string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, ref := range refs {
		q, args := `SELECT digest, path FROM chat_files WHERE ref=?`, []any{ref}
		if wg != "" {
			q, args = q+` AND workgroup=? AND log=?`, append(args, wg, log)
		}
		rows, err := s.db.QueryContext(ctx, q+` ORDER BY added`, args...)
		if err != nil {
			return nil, fmt.Errorf("chat: attachments' paths: %w", err)
		}
		for rows.Next() {
			var d, p string
			if err := rows.Scan(&d, &p); err != nil {
				rows.Close()
				return nil, err
			}
			out[ref+"/"+d] = append(out[ref+"/"+d], p)
		}
		rows.Close()
	}
	return out, nil
}

// LinkCopies fills in each attachment of ms with this node's received
// copy (Copy, CopyState, CopyFrom) and the path where this node keeps the
// file (Path), when it has them.
func (s *Service) LinkCopies(ctx context.Context, ms []Message) {
	refs := map[string][]string{} // by workgroup
	seen := map[string]bool{}
	for _, m := range ms {
		for _, a := range m.Attachments {
			if !seen[a.Ref] {
				seen[a.Ref] = true
				refs[m.Workgroup] = append(refs[m.Workgroup], a.Ref)
			}
		}
	}
	if len(seen) == 0 {
		return
	}
	var all []string
	copies := map[string][]Copy{}
	for wg, rs := range refs {
		all = append(all, rs...)
		if s.cfg.Files == nil {
			continue
		}
		cs, err := s.cfg.Files.Copies(ctx, wg, rs)
		if err != nil {
			s.log.Warn("chat: list the attachments' copies", "err", err)
		}
		for _, c := range cs {
			copies[c.Subject] = append(copies[c.Subject], c)
		}
	}
	kept, err := s.keptFiles(ctx, all, "", "")
	if err != nil {
		s.log.Warn("chat: attachments' paths", "err", err)
	}
	for i := range ms {
		m := &ms[i]
		for j := range m.Attachments {
			a := &m.Attachments[j]
			if ps := kept[a.Ref+"/"+a.Digest]; len(ps) > 0 {
				a.Path = ps[len(ps)-1]
			}
			if c, ok := bestCopy(copies[a.Ref], m.AuthorID, a.Name, a.Size); ok {
				a.Copy, a.CopyState = c.ID, c.State
				if a.Path == "" {
					a.Path = acceptedPath(c, a.Name) // accepted with peerhood inbox accept
				}
				if p, err := peer.Decode(c.Sender); err == nil {
					a.CopyFrom = s.nameOf(m.Workgroup, p)
				}
			}
		}
	}
}

// bestCopy picks the copy holding a file of that name and size: one not
// saved yet first, the author's first.
func bestCopy(cs []Copy, author, name string, size uint64) (Copy, bool) {
	ranked := rankCopies(cs, author, name, size)
	if len(ranked) == 0 {
		return Copy{}, false
	}
	return ranked[0], true
}

// rankCopies is the copies holding a file of that name and size, best
// first: those not saved yet, the author's first.
func rankCopies(cs []Copy, author, name string, size uint64) []Copy {
	score := func(c Copy) int {
		sc := 0
		if c.State == "new" {
			sc += 2
		}
		if c.Sender == author {
			sc++
		}
		return sc
	}
	var out []Copy
	for _, c := range cs {
		if slices.ContainsFunc(c.Files, func(f CopyFile) bool { return f.Path == name && f.Size == size }) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Copy) int { return score(b) - score(a) })
	return out
}

// errMismatch: a copy's file is not the one the message names.
var errMismatch = errors.New("not the file the message names (SHA-256 differs)")

// saveFirstGood saves, of the copies not saved yet that hold m's files,
// the first whose files have the message's digests (another member may
// have sent a copy under the same reference: it is set aside, renamed
// NAME.mismatch, and the next is tried).
func (s *Service) saveFirstGood(ctx context.Context, m *msg, dest string, res SaveResult) (SaveResult, error) {
	a0 := m.Attach[0]
	cs, err := s.cfg.Files.Copies(ctx, m.Workgroup, []string{a0.Ref})
	if err != nil {
		return SaveResult{}, fmt.Errorf("chat: the copies of %s: %w", a0.Ref, err)
	}
	var bad []string
	for _, c := range rankCopies(cs, m.authorID(), a0.Name, a0.Size) {
		if c.State != "new" {
			continue
		}
		paths, err := s.saveCopy(ctx, m, c.ID, dest)
		if errors.Is(err, errMismatch) {
			s.log.Warn("chat: a copy under an attachment's reference is not its file", "copy", c.ID, "sender", c.Sender, "err", err)
			bad = append(bad, err.Error())
			continue
		}
		if err != nil {
			return SaveResult{}, err
		}
		res.State, res.Files, res.Copy = SaveSaved, paths, c.ID
		if p, err := peer.Decode(c.Sender); err == nil {
			res.From = s.nameOf(m.Workgroup, p)
		}
		return res, nil
	}
	if len(bad) > 0 {
		return SaveResult{}, fmt.Errorf("%w: no copy holds the files of %s: %s: %w", ErrConflict, m.ID()[:12], strings.Join(bad, "; "), errMismatch)
	}
	return SaveResult{}, fmt.Errorf("%w: every copy of the files of %s was saved already (peerhood inbox)", ErrConflict, m.ID()[:12])
}

// fileDigest is the SHA-256 of the file at p, hexadecimal.
func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadMessage reads a stored message by its full ID; with wg and log
// set, only from that log.
func (s *Service) loadMessage(ctx context.Context, id, wg, log string) (*msg, error) {
	q, args := `SELECT raw FROM chat_messages WHERE id=? AND `+idPrefixWhere, append([]any{id}, idPrefixArgs(id)...)
	if wg != "" {
		q, args = q+` AND workgroup=? AND log=?`, append(args, wg, log)
	}
	var raw []byte
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&raw); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: no message %s", ErrNotFound, id)
		}
		return nil, fmt.Errorf("chat: read message %s: %w", id, err)
	}
	m, _, err := parse(raw)
	return m, err
}

// SaveAttachments makes the files of message id available on this
// machine: where this node keeps them already (the author's source, a
// previous save), else written under dest from the received copy (and
// checked against the message's SHA-256), else, for a room message this
// node has no copy of, asked from a member that keeps them (State
// requested: the copy comes to the inbox; save again then).
func (s *Service) SaveAttachments(ctx context.Context, id, dest string) (SaveResult, error) {
	if s.cfg.Files == nil {
		return SaveResult{}, fmt.Errorf("%w: this node takes no attachments (no spool)", ErrInvalid)
	}
	full, _, _, _, err := s.logOfID(ctx, id)
	if err != nil {
		return SaveResult{}, err
	}
	m, err := s.loadMessage(ctx, full, "", "")
	if err != nil {
		return SaveResult{}, err
	}
	if len(m.Attach) == 0 {
		return SaveResult{}, fmt.Errorf("%w: message %s has no attachment", ErrInvalid, full[:12])
	}
	ms := []Message{s.toMessage(m)}
	s.LinkCopies(ctx, ms)
	view := ms[0]
	res := SaveResult{Message: full}
	if paths, ok := keptAll(view); ok {
		res.State, res.Files = SaveSaved, paths
		return res, nil
	}
	if c := view.Attachments[0]; c.Copy != "" {
		if c.CopyState != "new" {
			paths, err := s.savedEarlier(ctx, m, dest)
			if err != nil {
				return SaveResult{}, err
			}
			if paths != nil {
				res.State, res.Files, res.Copy = SaveSaved, paths, c.Copy
				return res, nil
			}
			return SaveResult{}, fmt.Errorf("%w: copy %s was saved already with peerhood inbox accept: its files are where that wrote them", ErrConflict, c.Copy)
		}
		if !filepath.IsAbs(dest) {
			return SaveResult{}, fmt.Errorf("%w: destination %q: an absolute folder", ErrInvalid, dest)
		}
		saved, err := s.saveFirstGood(ctx, m, dest, res)
		if !errors.Is(err, errMismatch) || m.isDM() {
			return saved, err
		}
		// Every copy here was another file: ask a member for the real one.
	}
	if m.isDM() {
		return SaveResult{}, fmt.Errorf("%w: the copy of its files has not arrived yet (%s's node queues it; see peerhood inbox)", ErrNotFound, view.Author)
	}
	from, err := s.requestCopy(ctx, m)
	if err != nil {
		return SaveResult{}, err
	}
	res.State, res.From = SaveRequested, from
	return res, nil
}

// savedEarlier records and returns the paths of m's files under dest
// when each is there with its SHA-256: a copy accepted into dest whose
// record failed (a full disk after the files were written), or accepted
// with peerhood inbox accept. Nil when they are not all there.
func (s *Service) savedEarlier(ctx context.Context, m *msg, dest string) ([]string, error) {
	if !filepath.IsAbs(dest) {
		return nil, nil
	}
	paths := make([]string, len(m.Attach))
	for i, a := range m.Attach {
		paths[i] = filepath.Join(dest, a.Name)
		if d, err := fileDigest(paths[i]); err != nil || d != digestHex(a) {
			return nil, nil
		}
	}
	if err := s.keepFiles(ctx, m.Workgroup, m.logName(), m.Attach, paths); err != nil {
		return nil, err
	}
	return paths, nil
}

// keptAll returns the paths of every attachment of m when this node
// keeps them all, each with the right SHA-256.
func keptAll(m Message) ([]string, bool) {
	var out []string
	for _, a := range m.Attachments {
		if a.Path == "" {
			return nil, false
		}
		if d, err := fileDigest(a.Path); err != nil || d != a.Digest {
			return nil, false
		}
		out = append(out, a.Path)
	}
	return out, true
}

// saveCopy writes copy id under dest, checks each attachment of m
// against its digest, and records where the files are.
func (s *Service) saveCopy(ctx context.Context, m *msg, id, dest string) ([]string, error) {
	written, err := s.cfg.Files.SaveCopy(ctx, id, dest)
	if err != nil {
		return nil, fmt.Errorf("chat: save copy %s: %w", id, err)
	}
	paths := make([]string, len(m.Attach))
	for i, a := range m.Attach {
		for _, w := range written {
			if filepath.Base(w) == a.Name {
				paths[i] = w
			}
		}
		if paths[i] == "" {
			return nil, fmt.Errorf("%w: copy %s holds no file %s (written: %s)", ErrConflict, id, a.Name, strings.Join(written, ", "))
		}
		if d, err := fileDigest(paths[i]); err != nil || d != digestHex(a) {
			setAside(written)
			return nil, fmt.Errorf("%s from copy %s: %w; set aside as %s.mismatch", a.Name, id, errMismatch, paths[i])
		}
	}
	if err := s.keepFiles(ctx, m.Workgroup, m.logName(), m.Attach, paths); err != nil {
		return nil, err // the files are written: a save into dest again records them (savedEarlier)
	}
	return paths, nil
}

// setAside renames the files of a copy that failed its check to
// NAME.mismatch (when that name is free), so the next copy can be
// written under the real names.
func setAside(paths []string) {
	for _, p := range paths {
		if _, err := os.Lstat(p + ".mismatch"); errors.Is(err, os.ErrNotExist) {
			_ = os.Rename(p, p+".mismatch")
		}
	}
}

// requestCopy asks connected members allowed in m's room, the author
// first, to queue a copy of m's files to this node; it returns the name
// of the one that does.
func (s *Service) requestCopy(ctx context.Context, m *msg) (string, error) {
	wg, room := m.Workgroup, m.Room
	cands := []peer.ID{m.author()}
	for _, mem := range s.dir.Members(wg) {
		if mem.PeerID != s.self && mem.PeerID != m.author() && s.allowed(wg, room, mem.PeerID) {
			cands = append(cands, mem.PeerID)
		}
	}
	var why []string
	asked := 0
	for _, p := range cands {
		if asked >= askAtMost {
			break
		}
		if p == s.self || s.cfg.Host.Network().Connectedness(p) != network.Connected {
			continue
		}
		asked++
		err := s.askAttach(ctx, p, wg, room, m.id[:])
		if err == nil {
			return s.nameOf(wg, p), nil
		}
		why = append(why, s.nameOf(wg, p)+": "+err.Error())
	}
	if len(why) == 0 {
		why = append(why, "no member of the room is connected")
	}
	return "", fmt.Errorf("%w: no member queued a copy of the files of %s (%s)", ErrNotFound, m.ID()[:12], strings.Join(why, "; "))
}

// askAttach sends op attach to p.
func (s *Service) askAttach(ctx context.Context, p peer.ID, wg, room string, id []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	st, err := s.cfg.Host.NewStream(network.WithNoDial(ctx, "chat: attachment from a connected member"), p, p2p.ProtoHistory)
	if err != nil {
		return err
	}
	defer st.Close()
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	rd := wire.NewReader(st, maxHistFrame)
	defer rd.Release()
	_, err = s.ask(st, rd, histReq{Op: opAttach, Workgroup: wg, Log: room, Msg: id})
	return err
}

// answerAttach queues a copy of the files of message req.Msg of room
// req.Log to from (a member the room lets in: answer checked it), when
// this node keeps them all with the digests the message names. A second
// request within answerEvery is answered without a second copy.
func (s *Service) answerAttach(ctx context.Context, from peer.ID, req *histReq) error {
	if s.cfg.Files == nil {
		return errors.New("this member sends no attachments")
	}
	m, err := s.loadMessage(ctx, hex.EncodeToString(req.Msg), req.Workgroup, req.Log)
	if err != nil || len(m.Attach) == 0 {
		return errors.New("no message with attachments by that ID in that room here")
	}
	var at int64
	err = s.db.QueryRowContext(ctx, `SELECT at FROM chat_file_answers WHERE ref=? AND peer=?`, m.Attach[0].Ref, from.String()).Scan(&at)
	if err == nil && time.Since(time.UnixMilli(at)) < answerEvery {
		return nil // queued to it already: hash nothing again
	}
	paths := make([]string, len(m.Attach))
	// Only files kept for THIS room: a member that learnt another room's
	// reference and digests cannot have them sent by quoting them here.
	kept, err := s.keptFiles(ctx, []string{m.Attach[0].Ref}, req.Workgroup, req.Log)
	if err != nil {
		return errors.New("cannot read where its files are")
	}
	s.addAccepted(ctx, m, kept)
	for i, a := range m.Attach {
		for _, p := range kept[a.Ref+"/"+digestHex(a)] {
			if filepath.Base(p) != a.Name {
				continue
			}
			if d, err := fileDigest(p); err == nil && d == digestHex(a) {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			return errors.New("this member does not keep the files of that message")
		}
	}
	mem, ok := s.dir.Member(req.Workgroup, from)
	if byName, ok2 := s.dir.ByName(req.Workgroup, mem.Name); !ok || !ok2 || byName.PeerID != from {
		return errors.New("your name is ambiguous in this workgroup")
	}
	ref := m.Attach[0].Ref
	now := time.Now()
	r, err := s.db.ExecContext(ctx, `INSERT INTO chat_file_answers(ref, peer, at) VALUES(?,?,?)
		ON CONFLICT(ref, peer) DO UPDATE SET at=excluded.at WHERE at < ?`,
		ref, from.String(), now.UnixMilli(), now.Add(-answerEvery).UnixMilli())
	if err != nil {
		return errors.New("cannot record the answer")
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil // queued to it already, within answerEvery
	}
	if _, err := s.cfg.Files.SendFiles(ctx, req.Workgroup, []string{mem.Name}, paths, ref); err != nil {
		_, _ = s.db.ExecContext(ctx, `DELETE FROM chat_file_answers WHERE ref=? AND peer=?`, ref, from.String())
		s.log.Warn("chat: queue an attachment's copy to a member that asked", "member", mem.Name, "err", err)
		return errors.New("could not queue the copy")
	}
	s.log.Info("chat: queued an attachment's copy to a member that asked", "member", mem.Name, "ref", ref)
	return nil
}
