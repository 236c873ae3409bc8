package spool

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Inbox item states.
const (
	ItemNew      = "new"
	ItemAccepted = "accepted"
	ItemRemoved  = "removed" // kept (without content) so a replay is not stored again
)

// Item is one received message (mail or file copy).
type Item struct {
	ID        string      `json:"id"`
	From      string      `json:"from"`
	Sender    string      `json:"sender"`
	Workgroup string      `json:"workgroup"`
	Kind      string      `json:"kind"`
	Subject   string      `json:"subject,omitempty"`
	Body      string      `json:"body,omitempty"`
	Files     []FileEntry `json:"files"`
	Size      uint64      `json:"size"`
	Created   time.Time   `json:"created"`
	Received  time.Time   `json:"received"`
	Read      bool        `json:"read"`
	State     string      `json:"state"`
}

// AcceptResult tells where accepted files went.
type AcceptResult struct {
	ID    string   `json:"id"`
	Dest  string   `json:"dest"`
	Files []string `json:"files"`
}

// rejectError is a refusal the recipient signs and sends back.
type rejectError struct{ reason string }

func (e *rejectError) Error() string { return "rejected: " + e.reason }

func reject(format string, args ...any) error {
	return &rejectError{reason: fmt.Sprintf(format, args...)}
}

// checkIncoming decodes an envelope meant for this node and verifies it.
// A refusal the sender should hear of is a *rejectError.
func (s *Service) checkIncoming(envBytes []byte) (*Envelope, error) {
	env, err := DecodeEnvelope(envBytes)
	if err != nil {
		return nil, err
	}
	if env.RecipientID() != s.self {
		return env, reject("addressed to %s, not to this node", env.RecipientID())
	}
	if _, ok := s.dir.Self(env.Workgroup); !ok {
		return env, reject("this node is not in workgroup %s", env.Workgroup)
	}
	if _, ok := s.dir.Member(env.Workgroup, env.SenderID()); !ok {
		return env, reject("sender %s is not a member of workgroup %s", env.SenderID(), env.Workgroup)
	}
	if err := env.Verify(); err != nil {
		return env, reject("envelope: %v", err)
	}
	return env, nil
}

// storedReceipt returns the receipt of a message already in the inbox.
func (s *Service) storedReceipt(ctx context.Context, id string) ([]byte, bool) {
	var rec []byte
	err := s.db.QueryRowContext(ctx, `SELECT receipt FROM spool_inbox WHERE id=?`, id).Scan(&rec)
	return rec, err == nil
}

func (s *Service) rejection(env *Envelope, reason string) []byte {
	rec, err := newReceipt(s.id.Key, s.self, env.ID, env.SenderID(), StatusRejected, reason)
	if err != nil {
		s.log.Error("sign rejection", "err", err)
	}
	return rec
}

// incoming is a received message checked and ready to store.
type incoming struct {
	env      *Envelope
	envBytes []byte
	sl       sealed
	hdr      *PayloadHeader
	receipt  []byte
	state    string // ItemNew, or ItemAccepted once written into a share
	staged   string // folder under spool/plain holding the decrypted files
}

// prepareIncoming checks a received ciphertext opens for this node and
// signs its receipt. A refusal is a *rejectError.
func (s *Service) prepareIncoming(ctx context.Context, env *Envelope, envBytes []byte, sl sealed) (*incoming, error) {
	rc, err := s.spool.open(sl.inline, env.HashString(), 0)
	if err != nil {
		return nil, err
	}
	hdr, body, err := openPayload(rc, s.id.Age)
	if err == nil && hdr.Kind != env.Kind {
		err = fmt.Errorf("payload kind %q differs from envelope kind %q", hdr.Kind, env.Kind)
	}
	if err != nil {
		rc.Close()
		s.releaseCiphertext(ctx, env.HashString())
		return nil, reject("payload: %v", err)
	}
	state := ItemNew
	if hdr.Share != "" {
		reopen := func() (io.Reader, io.Closer, error) {
			rc, err := s.spool.open(sl.inline, env.HashString(), 0)
			if err != nil {
				return nil, nil, err
			}
			_, pl, err := openPayload(rc, s.id.Age)
			if err != nil {
				rc.Close()
				return nil, nil, err
			}
			return pl, rc, nil
		}
		err = s.writeIntoShare(ctx, env, hdr, body, reopen)
		state = ItemAccepted
	}
	rc.Close()
	if err != nil {
		s.releaseCiphertext(ctx, env.HashString())
		return nil, err
	}
	rec, err := newReceipt(s.id.Key, s.self, env.ID, env.SenderID(), StatusAccepted, "")
	if err != nil {
		return nil, err
	}
	return &incoming{env: env, envBytes: envBytes, sl: sl, hdr: hdr, receipt: rec, state: state}, nil
}

// writeIntoShare writes a copy sent to NAME:SHARE/path into the share, if
// the share service lets the sender write there. A refusal (no right, a
// bad path, an existing file) is a *rejectError with the share's reason.
func (s *Service) writeIntoShare(ctx context.Context, env *Envelope, hdr *PayloadHeader, body io.Reader, reopen func() (io.Reader, io.Closer, error)) error {
	if s.cfg.Shares == nil {
		return reject("this node takes no copies into shares")
	}
	m, ok := s.dir.Member(env.Workgroup, env.SenderID())
	if !ok {
		return reject("sender %s is not a member of workgroup %s", env.SenderID(), env.Workgroup)
	}
	if err := s.cfg.Shares.CheckWrite(ctx, m, hdr.Share); err != nil {
		return reject("%v", err)
	}
	paths := make([]string, len(hdr.Files))
	sizes := make([]int64, len(hdr.Files))
	for i, f := range hdr.Files {
		if f.Size > maxPayload {
			return reject("file %s is too large", f.Path)
		}
		paths[i], sizes[i] = path.Join(hdr.Dir, f.Path), int64(f.Size)
	}
	written, err := s.writeShareFiles(ctx, env.IDString(), m, hdr.Share, paths, sizes, body, reopen)
	if err != nil {
		return err
	}
	// Read to the end so age authenticates the final chunk.
	if n, err := io.Copy(io.Discard, body); err != nil || n != 0 {
		return reject("payload ends badly (%d trailing bytes): %v", n, err)
	}
	if testHookAfterShareWrite != nil {
		if err := testHookAfterShareWrite(env.IDString()); err != nil {
			return err
		}
	}
	s.log.Info("copy written into share", "id", env.IDString(), "share", hdr.Share, "files", len(written), "from", m.Name)
	return nil
}

// insertIncoming stores prepared messages in the inbox in one
// transaction. via is the mailbox that held them (empty for direct
// delivery): then their receipts also wait in spool_receipts_out to reach
// the senders. A message already present keeps its first receipt, which
// replaces in.receipt.
func (s *Service) insertIncoming(ctx context.Context, ins []*incoming, via peer.ID) error {
	dup := make([]bool, len(ins))
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		ins1, err := tx.PrepareContext(ctx, `INSERT INTO spool_inbox(id, sender, sender_name, workgroup, kind, subject, body, files, envelope, hash, size, inline, created, received, state, receipt, staged)
				VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins1.Close()
		ins2, err := tx.PrepareContext(ctx, `INSERT INTO spool_receipts_out(id, to_peer, receipt, next_try) VALUES(?,?,?,?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins2.Close()
		for i, in := range ins {
			env := in.env
			files, _ := json.Marshal(nonNil(in.hdr.Files))
			state, inline := in.state, in.sl.inline
			if state == "" {
				state = ItemNew
			}
			if state != ItemNew {
				inline = nil // the files are in place: the ciphertext is not kept
			}
			res, err := ins1.ExecContext(ctx,
				env.IDString(), env.SenderID().String(), s.memberName(env.Workgroup, env.SenderID()), env.Workgroup, env.Kind, in.hdr.Subject, in.hdr.Body,
				string(files), in.envBytes, env.HashString(), int64(env.Size), inline, env.Created, nowMs(), state, in.receipt, in.staged)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				dup[i] = true
			}
			if state == ItemAccepted {
				if _, err := tx.ExecContext(ctx, `DELETE FROM spool_share_intents WHERE id=?`, env.IDString()); err != nil {
					return err
				}
			}
			if via != "" {
				_, err = ins2.ExecContext(ctx, env.IDString(), env.SenderID().String(), in.receipt, nowMs())
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store received messages: %w", err)
	}
	for i, in := range ins {
		if !dup[i] && in.state == ItemAccepted {
			s.releaseCiphertext(ctx, in.env.HashString())
		}
		if dup[i] {
			if in.staged != "" {
				os.RemoveAll(s.spool.plainDir(in.staged))
			}
			if stored, ok := s.storedReceipt(ctx, in.env.IDString()); ok {
				in.receipt = stored
			}
			continue
		}
		s.log.Debug("message received", "id", in.env.IDString(), "kind", in.env.Kind, "from", in.env.SenderID(), "size", in.env.Size, "via", via)
		s.noteArrived(in)
	}
	return nil
}

// storeIncoming is prepareIncoming and insertIncoming for one message.
func (s *Service) storeIncoming(ctx context.Context, env *Envelope, envBytes []byte, sl sealed, via peer.ID) ([]byte, error) {
	in, err := s.prepareIncoming(ctx, env, envBytes, sl)
	if err != nil {
		return nil, err
	}
	if err := s.insertIncoming(ctx, []*incoming{in}, via); err != nil {
		return nil, err
	}
	return in.receipt, nil
}

// queueReceipt stores a receipt (a rejection) to send back to to.
func (s *Service) queueReceipt(ctx context.Context, id string, to peer.ID, rec []byte) {
	if rec == nil {
		return
	}
	err := s.durableExec(ctx, `INSERT INTO spool_receipts_out(id, to_peer, receipt, next_try) VALUES(?,?,?,?) ON CONFLICT DO NOTHING`,
		id, to.String(), rec, nowMs())
	if err != nil {
		s.log.Warn("queue receipt", "id", id, "err", err)
	}
}

func nonNil(f []FileEntry) []FileEntry {
	if f == nil {
		return []FileEntry{}
	}
	return f
}

const itemCols = `id, sender, sender_name, workgroup, kind, subject, body, files, size, created, received, read, state`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var files string
	var size, created, received int64
	var read int
	if err := sc.Scan(&it.ID, &it.Sender, &it.From, &it.Workgroup, &it.Kind, &it.Subject, &it.Body, &files, &size, &created, &received, &read, &it.State); err != nil {
		return it, err
	}
	_ = json.Unmarshal([]byte(files), &it.Files)
	it.Files = nonNil(it.Files)
	it.Size, it.Read = uint64(size), read != 0
	it.Created, it.Received = time.UnixMilli(created), time.UnixMilli(received)
	return it, nil
}

// Inbox lists received messages of a kind (mail or file), newest first.
func (s *Service) Inbox(ctx context.Context, kind string, unreadOnly bool) ([]Item, error) {
	q := `SELECT ` + itemCols + ` FROM spool_inbox WHERE kind=? AND state != ?`
	if unreadOnly {
		q += ` AND read=0`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY received DESC, id`, kind, ItemRemoved)
	if err != nil {
		return nil, fmt.Errorf("list inbox: %w", err)
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		if kind == KindMail {
			it.Body = ""
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Item returns one inbox item; markRead marks it read.
func (s *Service) Item(ctx context.Context, id string, markRead bool) (Item, error) {
	full, err := s.resolveID(ctx, "spool_inbox", id)
	if err != nil {
		return Item{}, err
	}
	it, err := scanItem(s.db.QueryRowContext(ctx, `SELECT `+itemCols+` FROM spool_inbox WHERE id=?`, full))
	if err != nil {
		return Item{}, err
	}
	if it.State == ItemRemoved {
		return Item{}, fmt.Errorf("%w: message %s was removed", ErrNotFound, full)
	}
	if markRead && !it.Read {
		if _, err := s.db.ExecContext(ctx, `UPDATE spool_inbox SET read=1 WHERE id=?`, full); err != nil {
			return Item{}, err
		}
		it.Read = true
	}
	return it, nil
}

// Remove deletes a received message's content. Its ID is remembered so a
// second delivery of it is acknowledged but not stored again.
func (s *Service) Remove(ctx context.Context, id string) (Item, error) {
	it, err := s.Item(ctx, id, false)
	if err != nil {
		return Item{}, err
	}
	var hash, staged string
	_ = s.db.QueryRowContext(ctx, `SELECT hash, staged FROM spool_inbox WHERE id=?`, it.ID).Scan(&hash, &staged)
	if _, err := s.db.ExecContext(ctx, `UPDATE spool_inbox SET state=?, subject='', body='', files='[]', inline=NULL, staged='' WHERE id=?`, ItemRemoved, it.ID); err != nil {
		return Item{}, err
	}
	s.releaseCiphertext(ctx, hash)
	if staged != "" {
		os.RemoveAll(s.spool.plainDir(staged))
	}
	it.State = ItemRemoved
	return it, nil
}

// Accept decrypts a received message and writes its files under dest (an
// absolute folder), never overwriting a file.
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
	var hash, staged string
	var inline []byte
	if err := s.db.QueryRowContext(ctx, `SELECT hash, inline, staged FROM spool_inbox WHERE id=?`, it.ID).Scan(&hash, &inline, &staged); err != nil {
		return AcceptResult{}, err
	}
	var written []string
	if staged != "" {
		written, err = acceptStaged(s.spool.plainDir(staged), it.Files, dest)
	} else if inline == nil {
		written, err = extractFile(s.spool.path(hash), s.id.Age, dest)
	} else {
		var hdr *PayloadHeader
		var body io.Reader
		hdr, body, err = openPayload(bytes.NewReader(inline), s.id.Age)
		if err == nil {
			written, err = extractPayload(hdr, body, dest)
		}
	}
	if err != nil {
		return AcceptResult{}, fmt.Errorf("accept %s: %w", it.ID, err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE spool_inbox SET state=?, inline=NULL, staged='' WHERE id=?`, ItemAccepted, it.ID); err != nil {
		return AcceptResult{}, err
	}
	s.releaseCiphertext(ctx, hash)
	if staged != "" {
		os.RemoveAll(s.spool.plainDir(staged))
	}
	for i := range written {
		written[i] = filepath.Join(dest, written[i])
	}
	return AcceptResult{ID: it.ID, Dest: dest, Files: written}, nil
}
