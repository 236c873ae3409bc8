package chat

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// send signs the next message of this node in b's log, stores it and
// publishes it on the log's topic (a direct message goes by deliverDM).
func (s *Service) send(ctx context.Context, wg string, b body) (*msg, error) {
	m, _, _, err := s.sendView(ctx, wg, b)
	return m, err
}

// sendView is send that also returns the API's view of the message when
// it was made for the chat.message event (ok), so a Say replies with it
// instead of making it again.
func (s *Service) sendView(ctx context.Context, wg string, b body) (_ *msg, view Message, ok bool, _ error) {
	b.V, b.Workgroup, b.Author = version, wg, []byte(s.self)
	if _, ok := s.dir.Self(wg); !ok {
		return nil, view, false, fmt.Errorf("%w: this node is not a member of workgroup %s", ErrRefused, wg)
	}
	probe := msg{body: b}
	log := probe.logName()
	// A request already ended stores nothing.
	if err := ctx.Err(); err != nil {
		return nil, view, false, fmt.Errorf("chat: send: %w", err)
	}
	var m *msg
	var err error
	if probe.isDM() {
		m, err = s.storeOwn(ctx, b, log)
	} else {
		m, err = s.storeSay(ctx, b, log) // ownsay.go: in the writer's transaction
	}
	if err != nil {
		if errors.Is(err, errBadMessage) {
			return nil, view, false, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return nil, view, false, err
	}
	view, ok = s.stored(m)
	if !m.isDM() {
		s.fanout(ctx, logKey{wg, log}, m) // push.go, pushout.go
	}
	return m, view, ok, nil
}

// storeOwn stores this node's next message b in a log in a transaction
// of its own: a direct message (its head read from its chain), or a
// room message when the writer does not run (ownsay.go).
func (s *Service) storeOwn(ctx context.Context, b body, log string) (*msg, error) {
	// The transaction runs without cancellation, as the writer's (insert):
	// with the request's context database/sql and the SQLite driver
	// started a watching goroutine per statement (begin, read, insert,
	// commit).
	txctx := context.WithoutCancel(ctx)
	dm := (&msg{body: b}).isDM()
	var m *msg
	lk := s.storeMu.take(holdSay)
	committed, err := s.storeTx(txctx, func(tx *txq) error {
		seq, prev, err := s.ownHead(txctx, tx, b.Workgroup, log, dm)
		if err != nil {
			return err
		}
		b.Seq, b.Prev, b.HLC = seq+1, prev, s.clk.now()
		if m, err = sign(s.cfg.Identity.Key, b); err != nil {
			return err
		}
		// seq follows the chain head read under storeMu: no chain check
		// needed (chat_chain's key refuses a second one when indexed).
		return insertRow(txctx, tx, m)
	})
	if err == nil {
		s.commitTips(committed)
	}
	s.storeMu.give(lk)
	if err == nil {
		s.fts.noteStored(1, time.Now()) // queued for indexing (fts.go)
	}
	if errors.Is(err, errBadMessage) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("chat: send: %w", err)
	}
	return m, nil
}

// publish sends m on its log's topic, joining it for the while when this
// node does not keep the log (a topic change of a room it left). m goes
// along as the validator data: the topic's validator takes this node's
// own publish without decoding and verifying it again (ownOrParse).
func (s *Service) publish(ctx context.Context, k logKey, m *msg) {
	s.mu.Lock()
	t := s.topics[k]
	s.mu.Unlock()
	if t == nil {
		s.syncTopics()
		s.mu.Lock()
		t = s.topics[k]
		s.mu.Unlock()
	}
	if t == nil {
		return // kept here; members get it by history sync
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := t.topic.Publish(pctx, m.raw, pubsub.WithValidatorData(m)); err != nil && s.ctx.Err() == nil {
		s.log.Debug("chat: publish", "log", k.log, "err", err)
	}
}

var mentionRE = regexp.MustCompile(`(?:^|[^\w@])@([A-Za-z0-9][A-Za-z0-9-]{0,62})`)

// mentions returns the members of wg a text names as @name (a text
// without an @ names none: the expression is not run).
func (s *Service) mentions(wg, text string) []string {
	if strings.IndexByte(text, '@') < 0 {
		return nil
	}
	var out []string
	for _, sm := range mentionRE.FindAllStringSubmatch(text, maxMentions) {
		if m, ok := s.dir.ByName(wg, sm[1]); ok {
			out = append(out, m.Name)
		}
	}
	return out
}

func parseRef(id string) ([]byte, error) {
	if id == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: message ID %q is not 64 hexadecimal digits", ErrInvalid, id)
	}
	return b, nil
}

// Say sends text to a room this node may speak in.
func (s *Service) Say(ctx context.Context, wg, room, text string, opt SendOptions) (Message, error) {
	kind := KindText
	if opt.Notice {
		kind = KindNotice
	}
	return s.roomMessage(ctx, wg, room, kind, text, opt.Parent, "")
}

func (s *Service) roomMessage(ctx context.Context, wg, room, kind, text, parent, target string) (Message, error) {
	info, r, err := s.room(wg, room)
	if err != nil {
		return Message{}, err
	}
	if !s.allowed(info.ID, r.name, s.self) {
		return Message{}, fmt.Errorf("%w: room %s is not open to this member", ErrRefused, r.name)
	}
	b := body{Room: r.name, Kind: kind, Text: text, Mentions: s.mentions(info.ID, text)}
	if b.Parent, err = parseRef(parent); err != nil {
		return Message{}, err
	}
	if b.Target, err = parseRef(target); err != nil {
		return Message{}, err
	}
	m, view, ok, err := s.sendView(ctx, info.ID, b)
	if err != nil {
		return Message{}, err
	}
	if !ok {
		view = s.toMessage(m)
	}
	return view, nil
}

// stored announces a message newly stored: chat.message on the event
// bus, the rooms refolded after a directory entry, an alert popped up.
// It returns the API's view of m when it made one for the event (ok).
func (s *Service) stored(m *msg) (view Message, ok bool) {
	s.seen.advance(m)
	s.ftsDirty.Store(true)
	if m.Kind == KindACL || m.Kind == KindTopic {
		s.noteRoom(m)
	}
	if s.cfg.Events != nil {
		view, ok = s.toMessage(m), true
		s.cfg.Events.PublishChat(m.Workgroup, &view)
	}
	s.popup(m) // popup.go: an alert to this member, a mention of it
	return view, ok
}

// toMessage is the API's view of m.
func (s *Service) toMessage(m *msg) Message {
	out := Message{
		ID: m.ID(), Workgroup: m.Workgroup, Room: m.Room, Author: s.nameOf(m.Workgroup, m.author()),
		AuthorID: m.authorID(), Seq: m.Seq, Time: hlcTime(m.HLC), Kind: m.Kind, Text: m.Text,
		Parent: m.parentHex(), Target: m.targetHex(), Mentions: m.Mentions, Attachments: attachmentsOf(m),
	}
	if m.isDM() {
		other := m.to()
		if other == s.self {
			other = m.author()
		}
		out.Peer = s.nameOf(m.Workgroup, other)
	}
	return out
}

// logOfID finds a stored message by its ID or a unique prefix of 8 or
// more hexadecimal digits: its full ID, workgroup, log and author.
func (s *Service) logOfID(ctx context.Context, id string) (full, wg, log, author string, err error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < 8 || len(id) > 64 || strings.Trim(id, "0123456789abcdef") != "" {
		return "", "", "", "", fmt.Errorf("%w: message ID %q: give 8 to 64 hexadecimal digits", ErrInvalid, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, workgroup, log, author FROM chat_messages WHERE `+idPrefixWhere+` LIMIT 2`, idPrefixArgs(id)...)
	if err != nil {
		return "", "", "", "", fmt.Errorf("chat: find message: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		if err := rows.Scan(&full, &wg, &log, &author); err != nil {
			return "", "", "", "", err
		}
	}
	switch n {
	case 0:
		return "", "", "", "", fmt.Errorf("%w: no message %s", ErrNotFound, id)
	case 1:
		return full, wg, log, author, rows.Err()
	}
	return "", "", "", "", fmt.Errorf("%w: message ID %s is ambiguous; give more digits", ErrInvalid, id)
}

// Act sends an edit, delete or reaction about message target (its full
// ID) in the same room or conversation. Only a message's author edits or
// deletes it.
func (s *Service) Act(ctx context.Context, kind, target, text string) (Message, error) {
	if kind != KindEdit && kind != KindDelete && kind != KindReaction {
		return Message{}, fmt.Errorf("%w: kind %q", ErrInvalid, kind)
	}
	target, wg, log, author, err := s.logOfID(ctx, target)
	if err != nil {
		return Message{}, err
	}
	if kind != KindReaction && author != s.self.String() {
		return Message{}, fmt.Errorf("%w: only its author edits or deletes a message", ErrRefused)
	}
	if to, ok := strings.CutPrefix(log, "@"); ok {
		if to == s.self.String() { // a message the other member sent this node
			to = author
		}
		p, err := peer.Decode(to)
		if err != nil {
			return Message{}, fmt.Errorf("chat: conversation of %s: %w", target, err)
		}
		return s.directTo(ctx, wg, p, kind, text, SendOptions{}, target)
	}
	return s.roomMessage(ctx, wg, log, kind, text, "", target)
}
