package identity

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// zip215Opts are curve25519-voi's ZIP-215 rules (doc.go, "ZIP-215 for
// chat messages"): the cofactored equation, non-canonical encodings of A
// and R accepted, S >= L refused. Single and batch verification accept
// exactly the same signatures under them.
var zip215Opts = &voi.Options{Verify: voi.VerifyOptionsZIP_215}

// VerifyPeerZIP215 reports whether sig is p's signature of msg under
// ZIP-215's rules, the rules Batch keeps (err when the ID embeds no key).
// A key of another kind than Ed25519 is checked by libp2p.
func VerifyPeerZIP215(p peer.ID, msg, sig []byte) (bool, error) {
	k, x, err := expandedPeerKey(p)
	if err != nil {
		return false, err
	}
	if x == nil {
		return verifyOther(p, msg, sig)
	}
	ok := voi.VerifyExpandedWithOptions(x, msg, sig, zip215Opts)
	if ok {
		expandedKeys.put(k, x) // cached once a signature of it verified
	}
	return ok, nil
}

// Batch verifies several signatures at once under ZIP-215's rules, about
// half the cost per signature of one check each from 8 signatures up
// (BenchmarkVerifyBatch). Not safe for concurrent use.
type Batch struct {
	v       *voi.BatchVerifier
	entries []batchEntry
}

type batchEntry struct {
	p        peer.ID
	msg, sig []byte
	key      [32]byte
	x        *voi.ExpandedPublicKey
	inBatch  bool  // Ed25519: in the batch verifier; else checked alone
	err      error // the key could not be read: refused
}

// Add adds p's signature sig of msg. msg and sig are read at Verify,
// not copied.
func (b *Batch) Add(p peer.ID, msg, sig []byte) {
	e := batchEntry{p: p, msg: msg, sig: sig}
	k, x, err := expandedPeerKey(p)
	switch {
	case err != nil:
		e.err = err
	case x != nil:
		e.key, e.x = k, x
		if b.v == nil {
			b.v = voi.NewBatchVerifier()
		}
		b.v.AddExpandedWithOptions(x, msg, sig, zip215Opts)
		e.inBatch = true
	}
	b.entries = append(b.entries, e)
}

// Len is the number of signatures added.
func (b *Batch) Len() int { return len(b.entries) }

// Verify checks every signature added and reports each one's result in
// the order they were added (true: it verifies), with the error of an
// entry whose signer's key could not be read. The batch is then empty.
func (b *Batch) Verify() ([]bool, []error) {
	ok := make([]bool, len(b.entries))
	errs := make([]error, len(b.entries))
	if b.v != nil {
		// Verify falls back to one check each when the batch fails.
		_, valid := b.v.Verify(nil)
		i := 0
		for j, e := range b.entries {
			if e.inBatch {
				ok[j] = valid[i]
				i++
				if ok[j] {
					expandedKeys.put(e.key, e.x) // cached once a signature of it verified
				}
			}
		}
	}
	for j, e := range b.entries {
		switch {
		case e.err != nil:
			errs[j] = e.err
		case !e.inBatch:
			ok[j], errs[j] = verifyOther(e.p, e.msg, e.sig)
		}
	}
	clear(b.entries)
	b.v, b.entries = nil, b.entries[:0]
	return ok, errs
}

// expandedPeerKey is the Ed25519 key p's ID embeds and its expanded
// form (from the cache, or expanded now: the caller caches it once a
// signature of it verified), a nil form when p's key is of another kind,
// err when the ID embeds no key or a key that is not a point.
func expandedPeerKey(p peer.ID) ([32]byte, *voi.ExpandedPublicKey, error) {
	k, ed, err := peerEd25519Key(p)
	if err != nil || !ed {
		return k, nil, err
	}
	if x := expandedKeys.get(k); x != nil {
		return k, x, nil
	}
	x, err := voi.NewExpandedPublicKey(k[:])
	if err != nil {
		return k, nil, fmt.Errorf("ed25519 key is not a point: %w", err)
	}
	return k, x, nil
}

// verifyOther checks a signature by a key of another kind than Ed25519
// through libp2p.
func verifyOther(p peer.ID, msg, sig []byte) (bool, error) {
	pub, err := p.ExtractPublicKey()
	if err != nil {
		return false, err
	}
	return pub.Verify(msg, sig)
}
