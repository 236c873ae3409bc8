package chat

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"

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
	m := &msg{body: b, raw: raw}
	m.fill()
	return m
}

// fill computes m's ID and its texts from body and raw.
func (m *msg) fill() { m.fillAfter(nil) }

// fillAfter is fill taking the author's ID and text from prev (a
// message parsed before on the same stream, may be nil) when it has the
// same author: no lookup in the shared authorText cache.
func (m *msg) fillAfter(prev *msg) {
	m.id = sha256.Sum256(m.raw)
	if prev != nil && prev.authorPID != "" && string(m.Author) == string(prev.authorPID) {
		m.authorPID, m.authorStr = prev.authorPID, prev.authorStr
	} else {
		m.authorPID, m.authorStr = authorOf(m.Author)
	}
	m.idHex = hexString(m.id[:])
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
func hexOrEmpty(b []byte) string { return hexString(b) }
func (m *msg) parentHex() string { return hexOrEmpty(m.Parent) }
func (m *msg) targetHex() string { return hexOrEmpty(m.Target) }

// hexString is hex.EncodeToString in one allocation (the string) for
// a hash or shorter: EncodeToString makes a buffer, then the string.
func hexString(b []byte) string {
	if len(b) > 32 {
		return hex.EncodeToString(b)
	}
	var buf [64]byte
	return string(buf[:hex.Encode(buf[:], b)])
}

// hexEqual reports whether s is b in lowercase hexadecimal, as
// hex.EncodeToString writes it, without allocating.
func hexEqual(s string, b []byte) bool {
	if len(s) != 2*len(b) || len(b) > 32 {
		return len(s) == 2*len(b) && s == hex.EncodeToString(b)
	}
	var buf [64]byte
	return string(buf[:hex.Encode(buf[:], b)]) == s
}

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
// its author's peer ID embeds, under ZIP-215's rules
// (identity.VerifyPeerZIP215: curve25519-voi on a cached expanded key;
// the rules batch verification keeps, so a message gets the same verdict
// alone or in a batch: verifybatch.go). The signed bytes (signDomain ||
// Body) are built in a pooled buffer.
func (m *msg) verify(s signed) error {
	bp := scratch.Get().(*[]byte)
	buf := append(append((*bp)[:0], signDomain...), s.Body...)
	ok, err := identity.VerifyPeerZIP215(m.author(), buf, s.Sig)
	*bp = buf[:0]
	scratch.Put(bp)
	return verdict(ok, err)
}

// verdict is the error of a signature check's result.
func verdict(ok bool, err error) error {
	if err != nil {
		return fmt.Errorf("%w: author key: %v", errBadMessage, err)
	}
	if !ok {
		return fmt.Errorf("%w: signature does not verify", errBadMessage)
	}
	return nil
}

// scratch and encBufs hold buffers for the signed bytes verify builds
// and the body parse encodes again (deterministic form check): one per
// message otherwise, garbage at once.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// detEnc is wire's encoding (CoreDetEncOptions) with a caller's buffer.
var detEnc = func() cbor.UserBufferEncMode {
	em, err := cbor.CoreDetEncOptions().UserBufferEncMode()
	if err != nil {
		panic(err) // constant options
	}
	return em
}()

// parse parses and checks a signed message without verifying its
// signature (returned with the signed body): for messages verified before they were stored,
// and to skip, before verifying, what is stored already.
func parse(raw []byte) (*msg, signed, error) { return parseAfter(raw, nil) }

// parseAfter is parse for a stream of messages: prev (may be nil) is the
// last message parse returned on that stream, whose workgroup, room and
// author texts are shared when equal (decodeBody, fillAfter). It accepts
// and returns exactly what parse does.
func parseAfter(raw []byte, prev *msg) (*msg, signed, error) {
	if len(raw) > maxSigned {
		return nil, signed{}, fmt.Errorf("%w: %d bytes exceeds %d", errBadMessage, len(raw), maxSigned)
	}
	s, ok := splitSigned(raw)
	if !ok { // not in the form sign writes: the general decoder decides
		if err := wire.Unmarshal(raw, &s); err != nil {
			return nil, signed{}, fmt.Errorf("%w: %v", errBadMessage, err)
		}
	}
	m := &msg{raw: raw}
	var hint *body
	if prev != nil {
		hint = &prev.body
	}
	if !decodeBody(s.Body, &m.body, hint) { // not in the form sign writes (bodydec.go)
		m.body = body{}
		if err := wire.Unmarshal(s.Body, &m.body); err != nil {
			return nil, signed{}, fmt.Errorf("%w: body: %v", errBadMessage, err)
		}
		// The body must be in its deterministic form, so one message has one ID.
		if !deterministic(&m.body, s.Body) {
			return nil, signed{}, fmt.Errorf("%w: body not in deterministic form", errBadMessage)
		}
	}
	if err := m.body.check(); err != nil {
		return nil, signed{}, err
	}
	m.fillAfter(prev)
	return m, s, nil
}

// deterministic tells whether enc is b's deterministic encoding (encoded
// again into a pooled buffer).
func deterministic(b *body, enc []byte) bool {
	buf := encBufs.Get().(*bytes.Buffer)
	buf.Reset()
	err := detEnc.MarshalToBuffer(b, buf)
	same := err == nil && bytes.Equal(buf.Bytes(), enc)
	encBufs.Put(buf)
	return same
}

var encBufs = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 1024)) }}

// splitSigned reads raw when it is exactly the encoding sign writes (map
// {1: Body, 2: Sig}, shortest heads, nothing after): Body and Sig then
// point into raw, no copy and no reflection. Anything else returns false
// and goes to the general decoder, so what is accepted does not change.
func splitSigned(raw []byte) (signed, bool) {
	if len(raw) < 2 || raw[0] != 0xa2 || raw[1] != 0x01 {
		return signed{}, false
	}
	body, rest, ok := byteString(raw[2:])
	if !ok || len(rest) < 1 || rest[0] != 0x02 {
		return signed{}, false
	}
	sig, rest, ok := byteString(rest[1:])
	if !ok || len(rest) != 0 {
		return signed{}, false
	}
	return signed{Body: body, Sig: sig}, true
}

// byteString reads a definite-length CBOR byte string with its length in
// the shortest head (major type 2), returning it and what follows.
func byteString(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 1 || b[0]>>5 != 2 {
		return nil, nil, false
	}
	n, h := uint64(b[0]&0x1f), 1
	switch {
	case n < 24:
	case n == 24 && len(b) >= 2 && b[1] >= 24:
		n, h = uint64(b[1]), 2
	case n == 25 && len(b) >= 3 && binary.BigEndian.Uint16(b[1:]) > 0xff:
		n, h = uint64(binary.BigEndian.Uint16(b[1:])), 3
	case n == 26 && len(b) >= 5 && binary.BigEndian.Uint32(b[1:]) > 0xffff:
		n, h = uint64(binary.BigEndian.Uint32(b[1:])), 5
	default: // 8-byte lengths exceed maxSigned; indefinite lengths are refused
		return nil, nil, false
	}
	if uint64(len(b)-h) < n {
		return nil, nil, false
	}
	end := h + int(n)
	return b[h:end:end], b[end:], true
}

// maxSeq is the highest sequence number: SQLite stores it as a signed
// 64-bit integer (database/sql refuses a uint64 with its high bit set,
// which failed the whole batch a message was stored in).
const maxSeq = math.MaxInt64

// check verifies the structure of a body (not its signature).
func (b *body) check() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{errBadMessage}, a...)...) }
	if b.V != version {
		return bad("version %d", b.V)
	}
	if b.Workgroup == "" || len(b.Workgroup) > 128 {
		return bad("workgroup")
	}
	// mh.Cast is peer.IDFromBytes's whole check, without its
	// conversion to an ID (an allocation per message).
	if _, err := mh.Cast(b.Author); err != nil {
		return bad("author: %v", err)
	}
	if b.Seq > maxSeq {
		return bad("sequence %d beyond %d", b.Seq, uint64(maxSeq))
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
		if _, err := mh.Cast(b.To); err != nil {
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
