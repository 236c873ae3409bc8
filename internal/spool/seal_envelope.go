package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/wire"
)

// EnvelopeVersion is the only envelope version this code writes and reads.
const EnvelopeVersion = 1

// Kinds of messages.
const (
	KindMail = "mail"
	KindFile = "file"
)

// Receipt statuses.
const (
	StatusAccepted = "accepted"
	StatusRejected = "rejected"
)

const (
	envelopeDomain = "peerhood/envelope/1\x00"
	receiptDomain  = "peerhood/receipt/1\x00"
	idLen          = 16
	maxSigLen      = 1024
	maxEnvelope    = 16 << 10
	maxReason      = 1024
)

// ErrBadSignature reports an envelope or receipt whose signature does not
// verify against the peer it names.
var ErrBadSignature = errors.New("signature does not verify")

// Envelope is the signed, cleartext description of a sealed payload.
type Envelope struct {
	Version   int    `cbor:"1,keyasint"`
	ID        []byte `cbor:"2,keyasint"`
	Sender    []byte `cbor:"3,keyasint"`
	Recipient []byte `cbor:"4,keyasint"`
	Workgroup string `cbor:"5,keyasint"`
	Kind      string `cbor:"6,keyasint"`
	Created   int64  `cbor:"7,keyasint"` // unix milliseconds
	Size      uint64 `cbor:"8,keyasint"` // ciphertext bytes
	Hash      []byte `cbor:"9,keyasint"` // SHA-256 of the ciphertext
	Sig       []byte `cbor:"10,keyasint,omitempty"`
}

// IDString returns the message ID in hex.
func (e *Envelope) IDString() string { return hex.EncodeToString(e.ID) }

// SenderID returns the sender's peer ID.
func (e *Envelope) SenderID() peer.ID { return peer.ID(e.Sender) }

// RecipientID returns the recipient's peer ID.
func (e *Envelope) RecipientID() peer.ID { return peer.ID(e.Recipient) }

// HashString returns the ciphertext hash in hex.
func (e *Envelope) HashString() string { return hex.EncodeToString(e.Hash) }

func newMessageID() ([]byte, error) {
	id := make([]byte, idLen)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("message ID: %w", err)
	}
	return id, nil
}

func (e *Envelope) signedBytes() ([]byte, error) {
	c := *e
	c.Sig = nil
	b, err := wire.Marshal(&c)
	if err != nil {
		return nil, err
	}
	return append([]byte(envelopeDomain), b...), nil
}

// Sign signs the envelope with the sender's node key.
func (e *Envelope) Sign(key crypto.PrivKey) error {
	b, err := e.signedBytes()
	if err != nil {
		return err
	}
	sig, err := key.Sign(b)
	if err != nil {
		return fmt.Errorf("sign envelope: %w", err)
	}
	e.Sig = sig
	return nil
}

// Verify checks the signature against the sender's public key (which the
// Ed25519 peer ID embeds).
func (e *Envelope) Verify() error {
	return verifyBy(peer.ID(e.Sender), e.signedBytes, e.Sig)
}

func verifyBy(p peer.ID, msg func() ([]byte, error), sig []byte) error {
	pub, err := p.ExtractPublicKey()
	if err != nil {
		return fmt.Errorf("%w: no public key in peer ID %s: %v", ErrBadSignature, p, err)
	}
	b, err := msg()
	if err != nil {
		return err
	}
	ok, err := identity.VerifyKey(pub, b, sig) // crypto/ed25519's rules, half the cost
	if err != nil || !ok {
		return fmt.Errorf("%w (signer %s)", ErrBadSignature, p)
	}
	return nil
}

// Encode returns the envelope's CBOR.
func (e *Envelope) Encode() ([]byte, error) { return wire.Marshal(e) }

// DecodeEnvelope decodes and structurally checks an envelope. It does not
// verify the signature (Verify does).
func DecodeEnvelope(b []byte) (*Envelope, error) {
	if len(b) > maxEnvelope {
		return nil, fmt.Errorf("envelope: %d bytes, limit %d", len(b), maxEnvelope)
	}
	var e Envelope
	if err := wire.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if e.Version != EnvelopeVersion {
		return nil, fmt.Errorf("envelope: version %d not supported", e.Version)
	}
	if len(e.ID) != idLen {
		return nil, fmt.Errorf("envelope: message ID is %d bytes, want %d", len(e.ID), idLen)
	}
	if err := checkPeer(e.Sender); err != nil {
		return nil, fmt.Errorf("envelope: sender: %w", err)
	}
	if err := checkPeer(e.Recipient); err != nil {
		return nil, fmt.Errorf("envelope: recipient: %w", err)
	}
	if e.Workgroup == "" || len(e.Workgroup) > 256 {
		return nil, fmt.Errorf("envelope: bad workgroup")
	}
	if e.Kind != KindMail && e.Kind != KindFile && e.Kind != KindChat {
		return nil, fmt.Errorf("envelope: unknown kind %q", e.Kind)
	}
	if len(e.Hash) != 32 {
		return nil, fmt.Errorf("envelope: hash is %d bytes, want 32", len(e.Hash))
	}
	if e.Size > maxPayload {
		return nil, fmt.Errorf("envelope: size %d over the limit %d", e.Size, uint64(maxPayload))
	}
	if len(e.Sig) == 0 || len(e.Sig) > maxSigLen {
		return nil, fmt.Errorf("envelope: signature missing or too long")
	}
	return &e, nil
}

func checkPeer(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty peer ID")
	}
	if _, err := peer.IDFromBytes(b); err != nil {
		return fmt.Errorf("bad peer ID: %w", err)
	}
	return nil
}

// Receipt is the recipient's signed answer to a message: accepted, or
// rejected with a reason.
type Receipt struct {
	ID     []byte `cbor:"1,keyasint"`
	From   []byte `cbor:"2,keyasint"` // the message's recipient, who signs
	To     []byte `cbor:"3,keyasint"` // the message's sender
	Status string `cbor:"4,keyasint"`
	Reason string `cbor:"5,keyasint,omitempty"`
	Time   int64  `cbor:"6,keyasint"`
	Sig    []byte `cbor:"7,keyasint,omitempty"`
	// Hash is the SHA-256 of the ciphertext the receipt answers (the
	// envelope's Hash): with To (the envelope's sender) it binds the
	// receipt to that one message, so a receipt for another member's
	// message under the same ID does not settle the sender's job.
	// Receipts signed before it existed lack it; senders refuse those.
	Hash []byte `cbor:"8,keyasint,omitempty"`
}

// IDString returns the message ID in hex.
func (r *Receipt) IDString() string { return hex.EncodeToString(r.ID) }

// HashString returns the answered ciphertext's hash in hex ("" if absent).
func (r *Receipt) HashString() string { return hex.EncodeToString(r.Hash) }

func (r *Receipt) signedBytes() ([]byte, error) {
	c := *r
	c.Sig = nil
	b, err := wire.Marshal(&c)
	if err != nil {
		return nil, err
	}
	return append([]byte(receiptDomain), b...), nil
}

// newReceipt signs self's receipt for env (to its sender, for its hash).
func newReceipt(key crypto.PrivKey, self peer.ID, env *Envelope, status, reason string) ([]byte, error) {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	r := &Receipt{ID: env.ID, From: []byte(self), To: env.Sender, Status: status, Reason: reason, Time: time.Now().UnixMilli(),
		Hash: env.Hash}
	b, err := r.signedBytes()
	if err != nil {
		return nil, err
	}
	if r.Sig, err = key.Sign(b); err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	return wire.Marshal(r)
}

// Verify checks the receipt's signature by From.
func (r *Receipt) Verify() error { return verifyBy(peer.ID(r.From), r.signedBytes, r.Sig) }

// DecodeReceipt decodes and structurally checks a receipt (not its
// signature).
func DecodeReceipt(b []byte) (*Receipt, error) {
	if len(b) > maxEnvelope {
		return nil, fmt.Errorf("receipt: %d bytes, limit %d", len(b), maxEnvelope)
	}
	var r Receipt
	if err := wire.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	if len(r.ID) != idLen {
		return nil, fmt.Errorf("receipt: message ID is %d bytes", len(r.ID))
	}
	if err := checkPeer(r.From); err != nil {
		return nil, fmt.Errorf("receipt: from: %w", err)
	}
	if err := checkPeer(r.To); err != nil {
		return nil, fmt.Errorf("receipt: to: %w", err)
	}
	if r.Status != StatusAccepted && r.Status != StatusRejected {
		return nil, fmt.Errorf("receipt: unknown status %q", r.Status)
	}
	if len(r.Reason) > maxReason || len(r.Sig) == 0 || len(r.Sig) > maxSigLen {
		return nil, fmt.Errorf("receipt: reason or signature out of bounds")
	}
	if len(r.Hash) != 0 && len(r.Hash) != 32 {
		return nil, fmt.Errorf("receipt: hash is %d bytes, want 32", len(r.Hash))
	}
	return &r, nil
}
