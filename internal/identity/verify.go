package identity

import (
	"crypto/ed25519"
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// verifyOpts are curve25519-voi's rules that reproduce crypto/ed25519's
// verification exactly (doc.go, "Signature verification"): small-order
// and non-canonical public keys and small-order R accepted, S >= L
// refused, the cofactorless equation with R compared byte for byte (so a
// non-canonical R is refused). Never voi's default, which is cofactored.
var verifyOpts = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// VerifyEd25519 reports whether sig is pub's Ed25519 signature of msg,
// accepting and refusing exactly what crypto/ed25519.Verify does (a
// public key of a length other than 32 bytes, on which crypto/ed25519
// panics, is refused). It uses curve25519-voi with the key expanded once
// and cached (about half crypto/ed25519's cost per signature).
func VerifyEd25519(pub, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	return verifyRaw([32]byte(pub), msg, sig)
}

// VerifyPeer reports whether sig is p's signature of msg by the public
// key its ID embeds, as p.ExtractPublicKey() then PubKey.Verify would
// (err when the ID embeds no key); Ed25519 keys go through VerifyEd25519.
func VerifyPeer(p peer.ID, msg, sig []byte) (bool, error) {
	k, ed, err := peerEd25519Key(p)
	if err != nil {
		return false, err
	}
	if !ed {
		return verifyOther(p, msg, sig)
	}
	return verifyRaw(k, msg, sig), nil
}

// peerEd25519Key is the Ed25519 key p's ID embeds; ed false when the key
// is of another kind, err when the ID embeds no key.
func peerEd25519Key(p peer.ID) (k [32]byte, ed bool, err error) {
	// The usual form of an Ed25519 peer ID: the identity multihash
	// (0x00, 36 bytes) of the protobuf PublicKey{Type: Ed25519, Data: 32
	// bytes}. Any other form goes through libp2p's decoder.
	if len(p) == len(ed25519IDPrefix)+ed25519.PublicKeySize && p[:len(ed25519IDPrefix)] == ed25519IDPrefix {
		copy(k[:], p[len(ed25519IDPrefix):])
		return k, true, nil
	}
	pub, err := p.ExtractPublicKey()
	if err != nil {
		return k, false, err
	}
	ek, ok := pub.(*crypto.Ed25519PublicKey)
	if !ok {
		return k, false, nil
	}
	raw, err := ek.Raw()
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return k, false, fmt.Errorf("ed25519 key of %d bytes: %v", len(raw), err)
	}
	copy(k[:], raw)
	return k, true, nil
}

const ed25519IDPrefix = "\x00\x24\x08\x01\x12\x20"

// VerifyKey reports whether sig is pub's signature of msg, as
// pub.Verify would; Ed25519 keys go through VerifyEd25519, other kinds
// through libp2p.
func VerifyKey(pub crypto.PubKey, msg, sig []byte) (bool, error) {
	if k, ok := pub.(*crypto.Ed25519PublicKey); ok {
		raw, err := k.Raw()
		if err != nil {
			return false, err
		}
		return VerifyEd25519(raw, msg, sig), nil
	}
	return pub.Verify(msg, sig)
}

func verifyRaw(k [32]byte, msg, sig []byte) bool {
	if x := expandedKeys.get(k); x != nil {
		return voi.VerifyExpandedWithOptions(x, msg, sig, verifyOpts)
	}
	x, err := voi.NewExpandedPublicKey(k[:])
	if err != nil {
		return false // not a point: crypto/ed25519 refuses it too
	}
	ok := voi.VerifyExpandedWithOptions(x, msg, sig, verifyOpts)
	if ok {
		expandedKeys.put(k, x)
	}
	return ok
}

// expandedKeys caches the expanded form of the keys whose signatures
// verified (about 1.5 KiB each; the expansion is a pure function of the
// key's bytes). Bounded: at maxExpandedKeys an arbitrary entry makes
// room, so keys made up by strangers cannot grow it.
var expandedKeys = expandedCache{m: make(map[[32]byte]*voi.ExpandedPublicKey)}

const maxExpandedKeys = 1024

type expandedCache struct {
	mu sync.RWMutex
	m  map[[32]byte]*voi.ExpandedPublicKey
}

func (c *expandedCache) get(k [32]byte) *voi.ExpandedPublicKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *expandedCache) put(k [32]byte, x *voi.ExpandedPublicKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	for old := range c.m {
		if len(c.m) < maxExpandedKeys {
			break
		}
		delete(c.m, old)
	}
	c.m[k] = x
}

func (c *expandedCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// Sign signs msg with key, as key.Sign would: Ed25519 signatures are
// deterministic, and curve25519-voi makes the very same bytes as
// crypto/ed25519 in about half the time; other key kinds go through
// libp2p.
func Sign(key crypto.PrivKey, msg []byte) ([]byte, error) {
	k, ok := key.(*crypto.Ed25519PrivateKey)
	if !ok {
		return key.Sign(msg)
	}
	raw, err := k.Raw()
	if err != nil || len(raw) != voi.PrivateKeySize {
		return key.Sign(msg)
	}
	return voi.Sign(voi.PrivateKey(raw), msg), nil
}
