package spool

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/peer"
)

// The receiving side, shared by direct delivery and mailbox fetches: an
// envelope is checked (signature first), the ciphertext opened, a copy
// into a share written, and the message stored in the inbox under
// (sender, message ID) with the receipt signed for it.

// rejectError is a refusal the recipient signs and sends back.
type rejectError struct{ reason string }

func (e *rejectError) Error() string { return "rejected: " + e.reason }

func reject(format string, args ...any) error {
	return &rejectError{reason: fmt.Sprintf(format, args...)}
}

// errForged reports an envelope whose signature does not verify: it gets
// no receipt at all (a signed rejection would reach the member it claims
// as sender and fail that member's real message).
var errForged = errors.New("forged envelope")

// checkIncoming decodes an envelope meant for this node and verifies it.
// A bad signature is errForged; a refusal the sender should hear of is a
// *rejectError (only ever for an envelope whose signature verifies).
func (s *Service) checkIncoming(envBytes []byte) (*Envelope, error) {
	env, err := DecodeEnvelope(envBytes)
	if err != nil {
		return nil, err
	}
	if err := env.Verify(); err != nil {
		return env, fmt.Errorf("%w: %v", errForged, err)
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
	return env, nil
}

// inKey names a message being received for the inbox (its partial file
// and its lock): the sender's peer ID and the message ID.
func inKey(env *Envelope) string { return "in-" + env.SenderID().String() + "-" + env.IDString() }

// storedReceipt returns the receipt of env's message if the inbox holds
// it (from the same sender). A receipt stored before receipts named the
// ciphertext's hash is signed again, with the same status and reason.
func (s *Service) storedReceipt(ctx context.Context, env *Envelope) ([]byte, bool) {
	var rec []byte
	err := s.db.QueryRowContext(ctx, `SELECT receipt FROM spool_inbox WHERE sender=? AND id=?`, env.SenderID().String(), env.IDString()).Scan(&rec)
	if err != nil {
		return nil, false
	}
	if r, err := DecodeReceipt(rec); err == nil && len(r.Hash) == 0 {
		if again, err := newReceipt(s.id.Key, s.self, env, r.Status, r.Reason); err == nil {
			return again, true
		}
	}
	return rec, true
}

func (s *Service) rejection(env *Envelope, reason string) []byte {
	rec, err := newReceipt(s.id.Key, s.self, env, StatusRejected, reason)
	if err != nil {
		s.log.Error("sign rejection", "err", err)
	}
	return rec
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
	s.dueChanged()
}

// receiveInbox receives a message's ciphertext for the inbox. A large
// plain file copy comes back staged (hdr set, stage the folder name under
// spool/plain, the partial ciphertext left for the caller to remove once
// the row is stored); anything else comes back as a committed ciphertext.
func (s *Service) receiveInbox(r io.Reader, key string, off uint64, env *Envelope) (sl sealed, hdr *PayloadHeader, stage string, err error) {
	if env.Size <= InlineMax || env.Kind != KindFile {
		sl, err = s.spool.receive(r, key, off, env.Size, env.Hash)
		return sl, nil, "", err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	stage = env.IDString() + "-" + hex.EncodeToString(rnd[:])
	if err := os.MkdirAll(filepath.Join(s.spool.root, "plain"), 0o700); err != nil {
		return sealed{}, nil, "", fmt.Errorf("spool: %w", err)
	}
	stg := startStager(s.spool.plainDir(stage), s.id.Age)
	f, sum, err := s.spool.receiveFile(r, key, off, env.Size, env.Hash, stg.p)
	hdr, serr := stg.finish()
	if err != nil {
		os.RemoveAll(s.spool.plainDir(stage))
		return sealed{}, nil, "", err
	}
	sl = sealed{hash: sum, size: env.Size}
	if serr != nil {
		if !errors.Is(serr, errNotStaged) {
			s.log.Debug("not staged; kept as ciphertext", "id", env.IDString(), "err", serr)
		}
		return sl, nil, "", s.spool.commit(f, hex.EncodeToString(sum))
	}
	f.Close()
	return sl, hdr, stage, nil
}

// storeReceived stores what receiveInbox returned: a staged copy as is,
// anything else through prepareIncoming. It returns the receipt.
func (s *Service) storeReceived(ctx context.Context, env *Envelope, envBytes []byte, key string, sl sealed, hdr *PayloadHeader, stage string, via peer.ID) ([]byte, error) {
	if hdr == nil {
		return s.storeIncoming(ctx, env, envBytes, sl, via)
	}
	rec, err := newReceipt(s.id.Key, s.self, env, StatusAccepted, "")
	if err != nil {
		os.RemoveAll(s.spool.plainDir(stage))
		return nil, err
	}
	in := &incoming{env: env, envBytes: envBytes, sl: sl, hdr: hdr, receipt: rec, state: ItemNew, staged: stage}
	if err := s.insertIncoming(ctx, []*incoming{in}, via); err != nil {
		os.RemoveAll(s.spool.plainDir(stage))
		return nil, err
	}
	os.Remove(s.spool.partial(key))
	return in.receipt, nil
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
	rec, err := newReceipt(s.id.Key, s.self, env, StatusAccepted, "")
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
	intent := env.SenderID().String() + "/" + env.IDString()
	written, err := s.writeShareFiles(ctx, intent, m, hdr.Share, paths, sizes, body, reopen, !hdr.NoClobber)
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
// the senders. A message already present (same sender and ID) keeps its
// first receipt, which replaces in.receipt.
func (s *Service) insertIncoming(ctx context.Context, ins []*incoming, via peer.ID) error {
	dup := make([]bool, len(ins))
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		for i, in := range ins {
			var err error
			if dup[i], err = s.insertOne(ctx, tx, in, via); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store received messages: %w", err)
	}
	if via != "" {
		s.dueChanged() // receipts queued for the senders
	}
	for i, in := range ins {
		if !dup[i] && in.state == ItemAccepted {
			s.releaseCiphertext(ctx, in.env.HashString())
		}
		if dup[i] {
			if in.staged != "" {
				os.RemoveAll(s.spool.plainDir(in.staged))
			}
			if stored, ok := s.storedReceipt(ctx, in.env); ok {
				in.receipt = stored
			}
			continue
		}
		s.log.Debug("message received", "id", in.env.IDString(), "kind", in.env.Kind, "from", in.env.SenderID(), "size", in.env.Size, "via", via)
		s.noteArrived(in)
	}
	return nil
}

// insertOne stores one message in tx; dup reports it was already there.
func (s *Service) insertOne(ctx context.Context, tx *sql.Tx, in *incoming, via peer.ID) (dup bool, err error) {
	env := in.env
	sender, id := env.SenderID().String(), env.IDString()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM spool_inbox WHERE sender=? AND id=?`, sender, id).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	// The handle the user sees: the message ID, unless another sender
	// used it here first.
	handle := id
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM spool_inbox WHERE handle=?`, handle).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		handle = id + "-" + sender[max(0, len(sender)-8):]
	}
	files, _ := json.Marshal(nonNil(in.hdr.Files))
	state, inline := in.state, in.sl.inline
	if state == "" {
		state = ItemNew
	}
	if state != ItemNew {
		inline = nil // the files are in place: the ciphertext is not kept
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO spool_inbox(id, sender, sender_name, workgroup, kind, subject, body, files, envelope, hash, size, inline, created, received, state, receipt, staged, handle)
			VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, sender, s.memberName(env.Workgroup, env.SenderID()), env.Workgroup, env.Kind, in.hdr.Subject, in.hdr.Body,
		string(files), in.envBytes, env.HashString(), int64(env.Size), inline, env.Created, nowMs(), state, in.receipt, in.staged, handle)
	if err != nil {
		return false, err
	}
	if state == ItemAccepted {
		if _, err := tx.ExecContext(ctx, `DELETE FROM spool_share_intents WHERE id=?`, sender+"/"+id); err != nil {
			return false, err
		}
	}
	if via != "" {
		_, err = tx.ExecContext(ctx, `INSERT INTO spool_receipts_out(id, to_peer, receipt, next_try) VALUES(?,?,?,?) ON CONFLICT DO NOTHING`,
			id, sender, in.receipt, nowMs())
	}
	return false, err
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
