package chat

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/peerhood/peerhood/internal/events"
)

// Test hooks: sign arbitrary bodies, publish raw bytes on a log's topic,
// sync a log with one peer.

// TestBody is the signed part of a message, for tests.
type TestBody struct {
	Workgroup, Room, Kind, Text string
	Author                      peer.ID
	To                          peer.ID
	Seq                         uint64
	Prev                        []byte
	HLC                         uint64
}

// SignTest signs b with key; badSig flips a bit of the signature.
func SignTest(key crypto.PrivKey, b TestBody, badSig bool) ([]byte, string, error) {
	bd := body{V: version, Workgroup: b.Workgroup, Room: b.Room, Author: []byte(b.Author), Seq: b.Seq, Prev: b.Prev, HLC: b.HLC, Kind: b.Kind, Text: b.Text}
	if b.To != "" {
		bd.To = []byte(b.To)
	}
	m, err := sign(key, bd)
	if err != nil {
		return nil, "", err
	}
	if !badSig {
		return m.raw, m.ID(), nil
	}
	var s signed
	if err := unmarshal(m.raw, &s); err != nil {
		return nil, "", err
	}
	s.Sig[0] ^= 1
	raw, err := marshal(&s)
	return raw, "", err
}

// PublishRaw publishes raw on the topic of log in wg (joining it for the
// while when this node does not keep it).
func (s *Service) PublishRaw(ctx context.Context, wg, log string, raw []byte) error {
	k := logKey{wg, log}
	s.mu.Lock()
	t := s.topics[k]
	s.mu.Unlock()
	if t != nil {
		return t.topic.Publish(ctx, raw)
	}
	tp, err := s.ps.Join(Topic(wg, log))
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	defer tp.Close()
	return tp.Publish(ctx, raw)
}

// SyncWith runs one history sync of a log with p.
func (s *Service) SyncWith(ctx context.Context, p peer.ID, wg, log string) error {
	return s.syncWith(ctx, p, wg, log)
}

// Head is this node's chain head in a log.
func (s *Service) Heads(ctx context.Context, wg, log string) (map[peer.ID]uint64, error) {
	return s.heads(ctx, wg, log)
}

// RawOf is the signed bytes of a stored message.
func (s *Service) RawOf(ctx context.Context, id string) ([]byte, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT raw FROM chat_messages WHERE id=?`, id).Scan(&raw)
	return raw, err
}

// LogTexts is the texts stored in a log (by workgroup ID), in order,
// whatever this node's membership.
func (s *Service) LogTexts(ctx context.Context, wg, log string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT text FROM chat_messages WHERE workgroup=? AND log=? AND kind='text' ORDER BY hlc, id`, wg, log)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// SubscribeMessages subscribes to this node's chat.message events.
func (s *Service) SubscribeMessages() *events.Subscription {
	return s.cfg.Events.Subscribe(events.Filter{Kinds: []events.Kind{events.KindChatMessage}})
}

// CutOff simulates a partition: no gossip taken from, and no history
// synced with, the peers f reports (nil heals).
func (s *Service) CutOff(f func(peer.ID) bool) {
	if f == nil {
		s.cutOff.Store(nil)
		return
	}
	s.cutOff.Store(&f)
}

// FallbackPeers is fallbackPeers of log (wg, log) (log "" is the
// directory).
func (s *Service) FallbackPeers(wg, log string) []peer.ID {
	return s.fallbackPeers(logKey{wg, log})
}

// WorkCounts is this node's work counters (metrics.go) by name.
func (s *Service) WorkCounts() map[string]uint64 { return s.work.snapshot() }

// HoldStore stops every store (the writer, syncs, sends) until release:
// messages received meanwhile wait in the writer's queue, as under load.
func (s *Service) HoldStore() (release func()) {
	s.storeMu.Lock()
	return s.storeMu.Unlock
}

// SyncAskedAt runs what a sync worker does with a sync of a log with p
// asked for at asked (runSync); it reports whether it synced.
func (s *Service) SyncAskedAt(wg, log string, p peer.ID, asked time.Time) bool {
	sk := syncKey{logKey{wg, log}, p}
	s.mu.Lock()
	s.syncAsked[sk] = asked
	s.mu.Unlock()
	return s.runSync(sk)
}

// SayOwnTx makes this node store each of its room messages in a
// transaction of its own (the path before ownsay.go), or through the
// writer again: a benchmark's baseline, a test's other path.
func (s *Service) SayOwnTx(on bool) { s.sayOwnTx.Store(on) }

// ReceivedFeed makes count room messages of a room, by authors made-up
// authors taking turns, each chained to the one before it, signed
// beforehand; feed hands the writer the next n of them as if received
// by push (the writer stores without checking membership: the
// receiving path checked it). ok is false when none are left.
func (s *Service) ReceivedFeed(wg, room string, authors, count int) (feed func(n int) (ok bool), err error) {
	info, r, err := s.room(wg, room)
	if err != nil {
		return nil, err
	}
	keys := make([]crypto.PrivKey, authors)
	ids := make([]peer.ID, authors)
	prev := make([][]byte, authors)
	for i := range keys {
		if keys[i], _, err = crypto.GenerateEd25519Key(nil); err != nil {
			return nil, err
		}
		if ids[i], err = peer.IDFromPrivateKey(keys[i]); err != nil {
			return nil, err
		}
	}
	ms := make([]*msg, count)
	for n := range ms {
		a := n % authors
		b := body{V: version, Workgroup: info.ID, Room: r.name, Author: []byte(ids[a]), Seq: uint64(n/authors + 1), Prev: prev[a],
			HLC: s.clk.now(), Kind: KindText, Text: fmt.Sprintf("received %d, a chat message of a typical length, said in a room", n)}
		m, err := sign(keys[a], b)
		if err != nil {
			return nil, err
		}
		prev[a] = m.id[:]
		ms[n] = m
	}
	k := logKey{info.ID, r.name}
	return func(n int) bool {
		for ; n > 0 && len(ms) > 0; n-- {
			s.intake <- gossiped{m: ms[0], k: k}
			ms = ms[1:]
		}
		return len(ms) > 0
	}, nil
}

// StoreFails makes every later store of a message whose text is text
// fail in the database (a trigger), as a full disk or an I/O error would.
func (s *Service) StoreFails(ctx context.Context, text string) error {
	_, err := s.db.ExecContext(ctx, `CREATE TRIGGER chat_test_fail BEFORE INSERT ON chat_messages
		WHEN NEW.text = `+quoteSQL(text)+` BEGIN SELECT RAISE(ABORT, 'injected store failure'); END`)
	return err
}

func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Link is one message of an author's chain as stored.
type Link struct {
	Seq      uint64
	ID, Prev string
	Text     string
}

// OwnChain is this node's messages in a room (by name), in seq order,
// read from the store and decoded.
func (s *Service) OwnChain(ctx context.Context, wg, room string) ([]Link, error) {
	info, r, err := s.room(wg, room)
	if err != nil {
		return nil, err
	}
	ms, err := s.loadLog(ctx, info.ID, r.name) // an undecodable row is left out: a gap in the seqs
	if err != nil {
		return nil, err
	}
	var out []Link
	for _, m := range ms {
		if m.author() == s.self {
			out = append(out, Link{Seq: m.Seq, ID: m.ID(), Prev: fmt.Sprintf("%x", m.Prev), Text: m.Text})
		}
	}
	slices.SortFunc(out, func(a, b Link) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// Keeps reports whether this node keeps a log of workgroup wg (its name
// or ID): room, or "" for the room directory (it joined its topic).
func (s *Service) Keeps(wg, room string) bool {
	info, err := s.resolve(wg)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.topics[logKey{info.ID, room}]
	return ok
}

// PublishKept publishes raw on the topic of log in wg when this node
// keeps that log (its own topic, validator and all), and does nothing
// otherwise (kept false).
func (s *Service) PublishKept(ctx context.Context, wg, log string, raw []byte) (kept bool, err error) {
	s.mu.Lock()
	t := s.topics[logKey{wg, log}]
	s.mu.Unlock()
	if t == nil {
		return false, nil
	}
	return true, t.topic.Publish(ctx, raw)
}
