package chat

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/wire"
)

// Message kinds.
const (
	KindText     = "text"
	KindEdit     = "edit"
	KindDelete   = "delete"
	KindReaction = "reaction"
	KindAlert    = "alert"
	KindACL      = "acl"
	KindTopic    = "topic"
	KindNotice   = "notice" // a text the sender marks as a notice (IRC NOTICE)
)

// Limits of a message.
const (
	// MaxText bounds a message's text in bytes.
	MaxText = 16 << 10
	// maxSigned bounds an encoded signed message.
	maxSigned   = MaxText + 8<<10
	maxMentions = 32
	maxAllow    = 256
	maxName     = 64
	version     = 1
	signDomain  = "peerhood/chat/1\x00"
)

// body is the signed part of a message (see doc.go, "Message").
type body struct {
	V         uint8        `cbor:"1,keyasint"`
	Workgroup string       `cbor:"2,keyasint"`
	Room      string       `cbor:"3,keyasint,omitempty"`
	To        []byte       `cbor:"4,keyasint,omitempty"`
	Author    []byte       `cbor:"5,keyasint"`
	Seq       uint64       `cbor:"6,keyasint"`
	Prev      []byte       `cbor:"7,keyasint,omitempty"`
	HLC       uint64       `cbor:"8,keyasint"`
	Parent    []byte       `cbor:"9,keyasint,omitempty"`
	Kind      string       `cbor:"10,keyasint"`
	Target    []byte       `cbor:"11,keyasint,omitempty"`
	Text      string       `cbor:"12,keyasint,omitempty"`
	Mentions  []string     `cbor:"13,keyasint,omitempty"`
	Allow     []string     `cbor:"14,keyasint,omitempty"`
	Attach    []attachment `cbor:"15,keyasint,omitempty"` // attach.go
}

// signed is a message as it travels: the body's CBOR and the author's
// Ed25519 signature over signDomain || Body.
type signed struct {
	Body []byte `cbor:"1,keyasint"`
	Sig  []byte `cbor:"2,keyasint"`
}

// msg is a decoded, checked message with its ID and raw bytes.
type msg struct {
	body
	id  [32]byte
	raw []byte
	// idHex and authorStr are ID() and the author's peer ID as text,
	// computed once (the store and the event read them several times;
	// base58 is not cheap).
	idHex, authorStr string
	// authorPID is the author's peer ID, converted from the body's bytes
	// once (author() is read several times per message; each conversion
	// allocated).
	authorPID peer.ID
}

func newMsg(b body, raw []byte) *msg {
	m := &msg{body: b, id: sha256.Sum256(raw), raw: raw, authorPID: peer.ID(b.Author)}
	m.idHex, m.authorStr = hex.EncodeToString(m.id[:]), authorString(m.authorPID)
	return m
}

func (m *msg) author() peer.ID {
	if m.authorPID == "" { // a msg not made by newMsg
		return peer.ID(m.Author)
	}
	return m.authorPID
}

func (m *msg) ID() string        { return m.idHex }
func (m *msg) authorID() string  { return m.authorStr }
func (m *msg) to() peer.ID       { return peer.ID(m.To) }
func (m *msg) isDM() bool        { return len(m.To) > 0 }
func hexOrEmpty(b []byte) string { return hex.EncodeToString(b) }
func (m *msg) parentHex() string { return hexOrEmpty(m.Parent) }
func (m *msg) targetHex() string { return hexOrEmpty(m.Target) }

// logName is the log the message belongs to: a room's name, "" for the
// workgroup's room directory (acl and topic entries), "@PEER" for a
// direct conversation (PEER: the recipient, as the author's chain runs
// per recipient).
func (m *msg) logName() string {
	switch {
	case m.isDM():
		return "@" + m.to().String()
	case m.Kind == KindACL || m.Kind == KindTopic:
		return ""
	}
	return m.Room
}

// errBadMessage marks a message refused by its form or signature.
var errBadMessage = errors.New("chat: bad message")

// sign encodes b and signs it with key.
func sign(key crypto.PrivKey, b body) (*msg, error) {
	bb, err := wire.Marshal(&b)
	if err != nil {
		return nil, err
	}
	sig, err := identity.Sign(key, append([]byte(signDomain), bb...))
	if err != nil {
		return nil, fmt.Errorf("chat: sign: %w", err)
	}
	raw, err := wire.Marshal(&signed{Body: bb, Sig: sig})
	if err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	return newMsg(b, raw), nil
}

// decode parses, checks and verifies a signed message from the network.
func decode(raw []byte) (*msg, error) {
	m, s, err := parse(raw)
	if err != nil {
		return nil, err
	}
	if err := m.verify(s); err != nil {
		return nil, err
	}
	return m, nil
}

// verify checks the signature of m, as parse returned them, by the key
// its author's peer ID embeds, with crypto/ed25519's rules
// (identity.VerifyPeer: curve25519-voi on a cached expanded key, half
// the cost; the key read from the ID's bytes, no protobuf decode).
func (m *msg) verify(s signed) error {
	ok, err := identity.VerifyPeer(m.author(), append([]byte(signDomain), s.Body...), s.Sig)
	if err != nil {
		return fmt.Errorf("%w: author key: %v", errBadMessage, err)
	}
	if !ok {
		return fmt.Errorf("%w: signature does not verify", errBadMessage)
	}
	return nil
}

// parse parses and checks a signed message without verifying its
// signature (returned with the signed body): for messages verified before they were stored,
// and to skip, before verifying, what is stored already.
func parse(raw []byte) (*msg, signed, error) {
	if len(raw) > maxSigned {
		return nil, signed{}, fmt.Errorf("%w: %d bytes exceeds %d", errBadMessage, len(raw), maxSigned)
	}
	var s signed
	if err := wire.Unmarshal(raw, &s); err != nil {
		return nil, signed{}, fmt.Errorf("%w: %v", errBadMessage, err)
	}
	var b body
	if err := wire.Unmarshal(s.Body, &b); err != nil {
		return nil, signed{}, fmt.Errorf("%w: body: %v", errBadMessage, err)
	}
	// The body must be in its deterministic form, so one message has one ID.
	if again, err := wire.Marshal(&b); err != nil || string(again) != string(s.Body) {
		return nil, signed{}, fmt.Errorf("%w: body not in deterministic form", errBadMessage)
	}
	if err := b.check(); err != nil {
		return nil, signed{}, err
	}
	return newMsg(b, raw), s, nil
}

// check verifies the structure of a body (not its signature).
func (b *body) check() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{errBadMessage}, a...)...) }
	if b.V != version {
		return bad("version %d", b.V)
	}
	if b.Workgroup == "" || len(b.Workgroup) > 128 {
		return bad("workgroup")
	}
	if _, err := peer.IDFromBytes(b.Author); err != nil {
		return bad("author: %v", err)
	}
	if b.Seq == 0 || (b.Seq == 1) != (len(b.Prev) == 0) || (len(b.Prev) != 0 && len(b.Prev) != 32) {
		return bad("sequence %d with a previous hash of %d bytes", b.Seq, len(b.Prev))
	}
	for _, h := range [][]byte{b.Parent, b.Target} {
		if len(h) != 0 && len(h) != 32 {
			return bad("reference of %d bytes", len(h))
		}
	}
	if len(b.Text) > MaxText || !utf8.ValidString(b.Text) {
		return bad("text of %d bytes (at most %d, UTF-8)", len(b.Text), MaxText)
	}
	if len(b.Mentions) > maxMentions || len(b.Allow) > maxAllow {
		return bad("too many mentions or allow entries")
	}
	for _, s := range append(append([]string(nil), b.Mentions...), b.Allow...) {
		if s == "" || len(s) > maxName+6 {
			return bad("name %q", s)
		}
	}
	dm := len(b.To) > 0
	if dm {
		if _, err := peer.IDFromBytes(b.To); err != nil {
			return bad("recipient: %v", err)
		}
		if b.Room != "" {
			return bad("a direct message names a room")
		}
	} else if err := ValidRoom(b.Room); err != nil {
		return bad("%v", err)
	}
	return b.checkKind(dm)
}

func (b *body) checkKind(dm bool) error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{errBadMessage}, a...)...) }
	switch b.Kind {
	case KindText, KindNotice:
	case KindEdit, KindDelete, KindReaction:
		if len(b.Target) == 0 {
			return bad("%s without a target", b.Kind)
		}
	case KindAlert:
		if !dm {
			return bad("an alert goes to a member")
		}
	case KindACL, KindTopic:
		if dm {
			return bad("%s in a direct message", b.Kind)
		}
	default:
		return bad("unknown kind %q", b.Kind)
	}
	if b.Kind != KindACL && len(b.Allow) > 0 {
		return bad("allow list on a %s", b.Kind)
	}
	return checkAttach(b)
}

// ValidRoom checks a room name: 1 to 64 of lower-case letters, digits,
// '-', '_' and '.', starting with a letter or digit.
func ValidRoom(name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("room name %q: 1 to %d characters", name, maxName)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("-_.", r))
		if !ok {
			return fmt.Errorf("room name %q: character %q not allowed (lower-case letters, digits, - _ .)", name, r)
		}
	}
	return nil
}

func marshal(v any) ([]byte, error)   { return wire.Marshal(v) }
func unmarshal(b []byte, v any) error { return wire.Unmarshal(b, v) }
