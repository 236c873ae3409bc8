package spool

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/store"
)

// KindChat is a sealed item carrying one chat message (internal/chat): a
// direct message to a member that was not reachable live. The payload's
// Body is the signed chat message, base64 (standard, padded). It is never
// listed in the inbox: the chat hook takes it when it arrives, and the
// item is then kept only as removed (so a second delivery is known).
const KindChat = "chat"

// maxChatItem bounds a chat item's data.
const maxChatItem = 64 << 10

// ChatHook takes a chat item that arrived: its workgroup, its sender
// (whose signature on the envelope the spool checked) and its data. An
// error leaves the item in the inbox as it came.
type ChatHook func(ctx context.Context, wg string, from peer.ID, data []byte) error

// SendChat seals data (a signed chat message) to member to of workgroup
// wg and queues it: delivered directly, or through to's mailbox members,
// with the retries, receipts and exactly-once storage of mail.
func (s *Service) SendChat(ctx context.Context, wg string, to peer.ID, data []byte) error {
	if len(data) > maxChatItem {
		return fmt.Errorf("%w: chat item of %d bytes exceeds %d", ErrInvalid, len(data), maxChatItem)
	}
	m, ok := s.dir.Member(wg, to)
	if !ok {
		return fmt.Errorf("%w: %s is not a member of workgroup %s", ErrInvalid, to, wg)
	}
	hdr := PayloadHeader{Kind: KindChat, Body: base64.StdEncoding.EncodeToString(data)}
	if _, err := s.enqueue(ctx, wg, m, hdr, nil, "chat message"); err != nil {
		return err
	}
	s.wakeFor(to)
	return nil
}

// OnChat sets the hook called with each chat item that arrives, and
// hands it at once the items that arrived before it was set.
func (s *Service) OnChat(h func(ctx context.Context, wg string, from peer.ID, data []byte) error) {
	s.chatHook.Store(&h)
	s.retakeChats(context.Background(), h)
}

// retakeChats hands h the chat items stored and not yet taken: at
// OnChat, and after the chat could not store one for want of disk space
// (chatRetry, from the scheduler's loop), so a direct message that came
// through the spool to a full disk arrives once space is freed, with no
// restart.
func (s *Service) retakeChats(ctx context.Context, h ChatHook) {
	rows, err := s.db.QueryContext(ctx, `SELECT sender, id, workgroup, body, hash FROM spool_inbox WHERE kind=? AND state=?`, KindChat, ItemNew)
	if err != nil {
		s.log.Warn("chat items waiting: list", "err", err)
		return
	}
	type item struct{ sender, id, wg, body, hash string }
	var items []item
	for rows.Next() {
		var it item
		if rows.Scan(&it.sender, &it.id, &it.wg, &it.body, &it.hash) == nil {
			items = append(items, it)
		}
	}
	rows.Close()
	for _, it := range items {
		p, err := peer.Decode(it.sender)
		if err != nil {
			continue
		}
		s.takeChat(ctx, h, it.wg, p, it.id, it.body, it.hash)
	}
}

// chatArrived hands a chat item just stored to the hook, and marks it
// removed once taken.
func (s *Service) chatArrived(in *incoming) {
	hp := s.chatHook.Load()
	if hp == nil || in.hdr == nil {
		return
	}
	s.takeChat(context.Background(), *hp, in.env.Workgroup, in.env.SenderID(), in.env.IDString(), in.hdr.Body, in.env.HashString())
}

// takeChat hands one stored chat item to the hook and marks it removed
// once taken.
func (s *Service) takeChat(ctx context.Context, h ChatHook, wg string, from peer.ID, id, body, hash string) {
	data, err := base64.StdEncoding.DecodeString(body)
	if err != nil || len(data) > maxChatItem {
		s.log.Warn("chat item with a bad body", "id", id, "from", from)
		return
	}
	if err := h(ctx, wg, from, data); err != nil {
		if store.IsFull(err) { // kept (state new): taken again later
			s.chatRetry.Store(true)
		}
		return
	}
	_, err = s.db.ExecContext(ctx, `UPDATE spool_inbox SET state=?, body='', inline=NULL WHERE sender=? AND id=?`,
		ItemRemoved, from.String(), id)
	if err != nil {
		s.log.Warn("chat item: mark taken", "id", id, "err", err)
	}
	s.releaseCiphertext(ctx, hash)
}
