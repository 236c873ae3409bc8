package spool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const (
	opDeposit        = "deposit"
	opDepositReceipt = "deposit_receipt"
	opList           = "list"
	opGet            = "get"
	opAck            = "ack"
	opNotify         = "notify" // from a mailbox: it holds something for you (mailnotify.go)
	itemMessage      = "message"
	itemReceipt      = "receipt"
	listLimit        = 500
)

type mailboxReq struct {
	Op       string       `cbor:"1,keyasint"`
	Envelope []byte       `cbor:"2,keyasint,omitempty"`
	Receipt  []byte       `cbor:"3,keyasint,omitempty"`
	ID       string       `cbor:"4,keyasint,omitempty"`
	Offset   uint64       `cbor:"5,keyasint,omitempty"`
	Acks     []mailboxAck `cbor:"6,keyasint,omitempty"`
	Receipts [][]byte     `cbor:"7,keyasint,omitempty"`
	Items    []pushItem   `cbor:"8,keyasint,omitempty"` // small messages deposited whole
	Sender   string       `cbor:"9,keyasint,omitempty"` // get: the listed item's sender
}

type mailboxAck struct {
	Item   string `cbor:"1,keyasint"`
	ID     string `cbor:"2,keyasint"`
	Sender string `cbor:"3,keyasint,omitempty"` // as listed; "" matches any
}

type mailboxItem struct {
	Item string `cbor:"1,keyasint"`
	ID   string `cbor:"2,keyasint"`
	Blob []byte `cbor:"3,keyasint"`
	Size uint64 `cbor:"4,keyasint,omitempty"`
	Data []byte `cbor:"5,keyasint,omitempty"` // the whole ciphertext of a small message
	// Sender is the member that deposited the item (the message's sender
	// or the receipt's signer); get and ack name it back.
	Sender string `cbor:"6,keyasint,omitempty"`
}

// listDataBytes bounds the inline ciphertext one list reply carries.
const listDataBytes = 4 << 20

type mailboxReply struct {
	Offset uint64        `cbor:"1,keyasint,omitempty"`
	Done   bool          `cbor:"2,keyasint,omitempty"`
	Items  []mailboxItem `cbor:"3,keyasint,omitempty"`
	Size   uint64        `cbor:"4,keyasint,omitempty"`
	Err    *wire.Error   `cbor:"5,keyasint,omitempty"`
	// Replies answer a batch deposit, one per item in order.
	Replies []mailboxReply `cbor:"6,keyasint,omitempty"`
}

func mbErr(code, format string, args ...any) *mailboxReply {
	return &mailboxReply{Err: &wire.Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func (s *Service) handleMailbox(st network.Stream) { serveRequests(s, st, "mailbox", s.serveMailbox) }

// serveMailbox answers one /peerhood/mailbox/1 request.
func (s *Service) serveMailbox(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, req *mailboxReq) bool {
	switch req.Op {
	case opDeposit:
		if len(req.Items) > 0 {
			return wire.WriteFrame(st, s.serveDepositBatch(ctx, remote, req.Items)) == nil
		}
		return s.serveDeposit(ctx, st, r, remote, req.Envelope)
	case opDepositReceipt:
		rs := req.Receipts
		if req.Receipt != nil {
			rs = append(rs, req.Receipt)
		}
		return wire.WriteFrame(st, s.serveDepositReceipts(ctx, remote, rs)) == nil
	case opList:
		return wire.WriteFrame(st, s.serveList(ctx, remote)) == nil
	case opGet:
		return s.serveGet(ctx, st, remote, req)
	case opAck:
		return wire.WriteFrame(st, s.serveAck(ctx, remote, req.Acks)) == nil
	case opNotify:
		return wire.WriteFrame(st, s.serveNotify(remote)) == nil
	}
	_ = wire.WriteFrame(st, mbErr(wire.CodeBadRequest, "unknown op %q", req.Op))
	return false
}

// mailboxOfBoth reports whether this node holds the mailbox role in a
// workgroup both a and b are members of.
func (s *Service) mailboxOfBoth(a, b peer.ID) bool {
	for _, m := range s.dir.Memberships(b) {
		if !s.isMailboxFor(m.Workgroup) {
			continue
		}
		if _, ok := s.dir.Member(m.Workgroup, a); ok {
			return true
		}
	}
	return false
}

// isMailboxFor reports whether this node holds the mailbox role in wg.
func (s *Service) isMailboxFor(wg string) bool {
	m, ok := s.dir.Self(wg)
	return ok && m.HasRole(workgroup.RoleMailbox)
}

func (s *Service) serveDeposit(ctx context.Context, st network.Stream, r *wire.Reader, remote peer.ID, envBytes []byte) bool {
	env, rep := s.checkDeposit(remote, envBytes)
	if rep != nil {
		s.log.Warn("mailbox: refused deposit", "peer", remote, "reason", rep.Err.Message)
		return wire.WriteFrame(st, rep) == nil
	}
	refuse := func(rep *mailboxReply) bool {
		s.log.Warn("mailbox: refused deposit", "peer", remote, "id", env.IDString(), "reason", rep.Err.Message)
		return wire.WriteFrame(st, rep) == nil
	}
	id := env.IDString()
	var n int
	_ = s.db.QueryRowContext(ctx, `SELECT count(*) FROM spool_mailbox WHERE recipient=? AND item=? AND id=? AND sender=?`,
		env.RecipientID().String(), itemMessage, id, remote.String()).Scan(&n)
	if n > 0 {
		return wire.WriteFrame(st, &mailboxReply{Done: true}) == nil
	}
	key := "mb-" + remote.String() + "-" + id
	if !s.lock(key) {
		return wire.WriteFrame(st, mbErr(codeBusy, "being deposited on another stream")) == nil
	}
	defer s.unlock(key)
	off := s.spool.partialSize(key, env.Size)
	if rep := s.overMailboxQuota(s.mailboxUseOf(ctx, remote, key), env.Size); rep != nil {
		return refuse(rep)
	}
	if werr := s.roomFor(env.Size-off, "mailbox"); werr != nil {
		return refuse(&mailboxReply{Err: werr})
	}
	if err := wire.WriteFrame(st, &mailboxReply{Offset: off}); err != nil {
		return false
	}
	sl, err := s.spool.receive(r, key, off, env.Size, env.Hash)
	if errors.Is(err, errHashMismatch) {
		return refuse(mbErr(wire.CodeBadRequest, "%v", err))
	}
	if errors.Is(err, syscall.ENOSPC) {
		os.Remove(s.spool.partial(key))
		return refuse(mbErr(wire.CodeNoSpace, "mailbox disk is full"))
	}
	if err != nil {
		s.log.Info("mailbox: deposit interrupted", "peer", remote, "id", id, "err", err)
		return false
	}
	err = s.durableExec(ctx, `INSERT INTO spool_mailbox(recipient, item, id, sender, blob, hash, size, inline, received) VALUES(?,?,?,?,?,?,?,?,?)
		ON CONFLICT DO NOTHING`, env.RecipientID().String(), itemMessage, id, remote.String(), envBytes, env.HashString(), int64(env.Size), sl.inline, nowMs())
	if err != nil {
		s.log.Error("mailbox: store deposit", "id", id, "err", err)
		return wire.WriteFrame(st, mbErr(wire.CodeInternal, "could not store the deposit")) == nil
	}
	s.log.Info("mailbox: holding message", "id", id, "for", env.RecipientID(), "from", remote, "size", env.Size)
	s.notifyHeld(env.RecipientID())
	return wire.WriteFrame(st, &mailboxReply{}) == nil
}

// checkDeposit checks an envelope offered for safekeeping by remote.
func (s *Service) checkDeposit(remote peer.ID, envBytes []byte) (*Envelope, *mailboxReply) {
	env, err := DecodeEnvelope(envBytes)
	if err != nil {
		return nil, mbErr(wire.CodeBadRequest, "%v", err)
	}
	switch {
	case env.SenderID() != remote:
		return env, mbErr(wire.CodeForbidden, "a member deposits only its own messages")
	case !s.isMailboxFor(env.Workgroup):
		return env, mbErr(wire.CodeForbidden, "this node is not a mailbox of workgroup %s", env.Workgroup)
	}
	if _, ok := s.dir.Member(env.Workgroup, env.SenderID()); !ok {
		return env, mbErr(wire.CodeNotMember, "sender is not a member of workgroup %s", env.Workgroup)
	}
	if _, ok := s.dir.Member(env.Workgroup, env.RecipientID()); !ok {
		return env, mbErr(wire.CodeNotMember, "recipient is not a member of workgroup %s", env.Workgroup)
	}
	if err := env.Verify(); err != nil {
		return env, mbErr(wire.CodeBadRequest, "envelope: %v", err)
	}
	return env, nil
}

// serveDepositBatch keeps small messages sent whole, in one transaction.
func (s *Service) serveDepositBatch(ctx context.Context, remote peer.ID, items []pushItem) *mailboxReply {
	if len(items) > maxBatchItems {
		return mbErr(wire.CodeBadRequest, "batch too large")
	}
	out := &mailboxReply{Replies: make([]mailboxReply, len(items))}
	var total uint64
	for _, it := range items {
		total += uint64(len(it.Data))
	}
	if werr := s.roomFor(total, "mailbox"); werr != nil {
		s.log.Warn("mailbox: refused deposits", "peer", remote, "reason", werr.Message)
		return &mailboxReply{Err: werr}
	}
	type keep struct {
		env *Envelope
		i   int
	}
	var ok []keep
	use := s.mailboxUseOf(ctx, remote, "")
	for i, it := range items {
		// The quota is checked before the signature: cheap things first.
		rep := s.overMailboxQuota(use, uint64(len(it.Data)))
		var env *Envelope
		if rep == nil {
			env, rep = s.checkDeposit(remote, it.Envelope)
		}
		if rep == nil && (env.Size > InlineMax || uint64(len(it.Data)) != env.Size) {
			rep = mbErr(wire.CodeBadRequest, "a batch deposit carries whole small messages")
		}
		if rep == nil {
			if sum := sha256.Sum256(it.Data); !bytes.Equal(sum[:], env.Hash) {
				rep = mbErr(wire.CodeBadRequest, "%v", errHashMismatch)
			}
		}
		if rep != nil {
			s.log.Debug("mailbox: refused deposit", "peer", remote, "reason", rep.Err.Message)
			out.Replies[i] = *rep
			continue
		}
		use.count++
		use.bytes += env.Size
		ok = append(ok, keep{env, i})
	}
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO spool_mailbox(recipient, item, id, sender, blob, hash, size, inline, received) VALUES(?,?,?,?,?,?,?,?,?)
			ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, k := range ok {
			it := items[k.i]
			if _, err := ins.ExecContext(ctx, k.env.RecipientID().String(), itemMessage, k.env.IDString(), remote.String(), it.Envelope,
				k.env.HashString(), int64(k.env.Size), it.Data, nowMs()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("mailbox: store deposits", "err", err)
		return mbErr(wire.CodeInternal, "could not store the deposits")
	}
	to := make([]peer.ID, 0, len(ok))
	for _, k := range ok {
		if p := k.env.RecipientID(); !slices.Contains(to, p) {
			to = append(to, p)
		}
	}
	s.notifyHeld(to...)
	return out
}

// serveDepositReceipts keeps receipts signed by remote for their
// addressees: all of a request or none (the depositor keeps a refused
// request's receipts and tries another mailbox, or later).
func (s *Service) serveDepositReceipts(ctx context.Context, remote peer.ID, rs [][]byte) *mailboxReply {
	if len(rs) > listLimit {
		return mbErr(wire.CodeBadRequest, "too many receipts in one request")
	}
	type held struct {
		to  peer.ID
		id  string
		b   []byte
		rec *Receipt
	}
	var ok []held
	var size uint64
	for _, b := range rs {
		rec, err := DecodeReceipt(b)
		if err != nil {
			return mbErr(wire.CodeBadRequest, "%v", err)
		}
		if peer.ID(rec.From) != remote {
			return mbErr(wire.CodeForbidden, "a member deposits only its own receipts")
		}
		if len(s.dir.Memberships(peer.ID(rec.To))) == 0 {
			continue // for a non-member: nobody will fetch it
		}
		if !s.mailboxOfBoth(remote, peer.ID(rec.To)) {
			// The signer answers a message of the addressee's: they share
			// a workgroup, and the depositor picked this node as a mailbox
			// of one. A member of another workgroup of this node's only
			// would leave items for members it has no message of.
			return mbErr(wire.CodeForbidden, "this node is not a mailbox of a workgroup of both the receipt's signer and its addressee")
		}
		ok = append(ok, held{peer.ID(rec.To), rec.IDString(), b, rec})
		size += uint64(len(b))
	}
	if len(ok) == 0 {
		return &mailboxReply{}
	}
	// The quota is checked before the signatures: cheap things first.
	use, err := s.receiptUseOf(ctx, remote)
	if err != nil {
		return mbErr(wire.CodeInternal, "could not count the receipts held")
	}
	if rep := s.overReceiptQuota(use, len(ok), size); rep != nil {
		s.log.Debug("mailbox: refused receipts", "peer", remote, "reason", rep.Err.Message)
		return rep
	}
	if werr := s.roomFor(size, "mailbox"); werr != nil {
		s.log.Warn("mailbox: refused receipts", "peer", remote, "reason", werr.Message)
		return &mailboxReply{Err: werr}
	}
	for _, h := range ok {
		if err := h.rec.Verify(); err != nil {
			return mbErr(wire.CodeBadRequest, "%v", err)
		}
	}
	err = s.durableTx(ctx, func(tx *sql.Tx) error {
		for _, h := range ok {
			_, err := tx.ExecContext(ctx, `INSERT INTO spool_mailbox(recipient, item, id, sender, blob, received) VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
				h.to.String(), itemReceipt, h.id, remote.String(), h.b, nowMs())
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return mbErr(wire.CodeInternal, "could not store the receipts")
	}
	to := make([]peer.ID, 0, len(ok))
	for _, h := range ok {
		if !slices.Contains(to, h.to) {
			to = append(to, h.to)
		}
	}
	s.notifyHeld(to...)
	return &mailboxReply{}
}

func (s *Service) serveList(ctx context.Context, remote peer.ID) *mailboxReply {
	rows, err := s.db.QueryContext(ctx, `SELECT item, id, sender, blob, size, inline FROM spool_mailbox WHERE recipient=? ORDER BY received LIMIT ?`, remote.String(), listLimit)
	if err != nil {
		return mbErr(wire.CodeInternal, "list: %v", err)
	}
	defer rows.Close()
	rep := &mailboxReply{}
	data := 0
	for rows.Next() {
		var it mailboxItem
		var size int64
		var inline []byte
		if err := rows.Scan(&it.Item, &it.ID, &it.Sender, &it.Blob, &size, &inline); err != nil {
			return mbErr(wire.CodeInternal, "list: %v", err)
		}
		it.Size = uint64(size)
		if inline != nil && data+len(inline) <= listDataBytes {
			it.Data = inline
			data += len(inline)
		}
		rep.Items = append(rep.Items, it)
	}
	return rep
}

func (s *Service) serveGet(ctx context.Context, st network.Stream, remote peer.ID, req *mailboxReq) bool {
	id, off := req.ID, req.Offset
	var hash string
	var size int64
	var inline []byte
	err := s.db.QueryRowContext(ctx, `SELECT hash, size, inline FROM spool_mailbox WHERE recipient=?1 AND item=?2 AND id=?3 AND (?4='' OR sender=?4)
		ORDER BY received LIMIT 1`, remote.String(), itemMessage, id, req.Sender).Scan(&hash, &size, &inline)
	if err != nil {
		return wire.WriteFrame(st, mbErr(wire.CodeNotFound, "no message %s waits for you", id)) == nil
	}
	if off > uint64(size) {
		return wire.WriteFrame(st, mbErr(wire.CodeBadRequest, "offset %d past the end (%d)", off, size)) == nil
	}
	rc, err := s.spool.open(inline, hash, off)
	if err != nil {
		s.log.Error("mailbox: open held message", "id", id, "err", err)
		return wire.WriteFrame(st, mbErr(wire.CodeInternal, "message unreadable on the mailbox")) == nil
	}
	defer rc.Close()
	if err := wire.WriteFrame(st, &mailboxReply{Size: uint64(size)}); err != nil {
		return false
	}
	n, err := io.Copy(st, io.LimitReader(rc, size-int64(off)))
	return err == nil && n == size-int64(off)
}

func (s *Service) serveAck(ctx context.Context, remote peer.ID, acks []mailboxAck) *mailboxReply {
	var release []string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		del, err := tx.PrepareContext(ctx, `DELETE FROM spool_mailbox WHERE recipient=?1 AND item=?2 AND id=?3 AND (?4='' OR sender=?4)
			RETURNING hash, inline IS NULL`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, a := range acks {
			var hash string
			var spooled bool
			err := del.QueryRowContext(ctx, remote.String(), a.Item, a.ID, a.Sender).Scan(&hash, &spooled)
			if err == nil && spooled && hash != "" {
				release = append(release, hash)
			}
		}
		return nil
	})
	if err != nil {
		return mbErr(wire.CodeInternal, "ack: %v", err)
	}
	for _, h := range release {
		s.releaseCiphertext(ctx, h)
	}
	return &mailboxReply{}
}
