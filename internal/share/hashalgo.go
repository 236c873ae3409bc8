package share

import (
	"crypto/sha256"
	"hash"

	"github.com/zeebo/blake3"
)

// Hash names the digest a transfer's end-to-end check uses. The client
// offers one in Request.Hash; the sharing node answers, in the header
// reply before any byte moves, the one the trailer will carry
// (Reply.Hash). A node that does not know the field (older peers) answers
// nothing, which means SHA-256, so old and new nodes work together.
type Hash string

const (
	// HashSHA256 is the protocol's original digest (the empty name on the
	// wire).
	HashSHA256 Hash = ""
	// HashBLAKE3 is BLAKE3-256: 2.3x faster than SHA-256 with SHA-NI on
	// the reference machine (github.com/zeebo/blake3, one core, 1 MiB
	// writes: 4.1 GB/s against 1.75 GB/s; docs/design/speed.md).
	HashBLAKE3 Hash = "blake3"
)

// preferredHash is what this node's clients offer (Client.offer).
const preferredHash = HashBLAKE3

// known reports whether this node can compute h.
func (h Hash) known() bool { return h == HashSHA256 || h == HashBLAKE3 }

// negotiate is the sharing node's answer to a client's offer: the offer
// when this node knows it, else SHA-256.
func (s *Service) negotiate(offer Hash) Hash {
	if offer.known() && !s.shaOnly.Load() {
		return offer
	}
	return HashSHA256
}

// New returns a fresh hash of the algorithm (SHA-256 for names this node
// does not know; negotiate never answers those).
func (h Hash) New() hash.Hash {
	if h == HashBLAKE3 {
		return blake3.New()
	}
	return sha256.New()
}

// String is the name shown to users ("sha256" or "blake3").
func (h Hash) String() string {
	if h == HashSHA256 {
		return "sha256"
	}
	return string(h)
}
