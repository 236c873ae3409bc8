package workgroup

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// RevocationBody is the signed content of a revocation: every certificate
// of Peer in Workgroup is void from now on.
type RevocationBody struct {
	Workgroup string `cbor:"1,keyasint"`
	Peer      []byte `cbor:"2,keyasint"`
	Name      string `cbor:"3,keyasint"`           // for humans and logs
	Time      int64  `cbor:"4,keyasint"`           // unix seconds
	Issuer    []byte `cbor:"5,keyasint,omitempty"` // empty: the root; else the admin's peer ID
}

// Revocation is a parsed revocation whose signature was checked against
// its declared issuer.
type Revocation struct {
	RevocationBody
	PeerID   peer.ID
	IssuerID peer.ID
	Raw      []byte
	Hash     [32]byte
}

// IssueRevocation signs a revocation of p (named name) in workgroup wg.
func IssueRevocation(s Signer, wg string, p peer.ID, name string, now time.Time) ([]byte, error) {
	body := RevocationBody{Workgroup: wg, Peer: []byte(p), Name: name, Time: now.Unix(), Issuer: s.issuer()}
	return signItem(s, revDomain, "revocation", body)
}

// ParseRevocation decodes a signed revocation and checks its signature by
// its declared issuer.
func ParseRevocation(raw []byte, rootPub ed25519.PublicKey) (*Revocation, error) {
	var b RevocationBody
	sg, err := openItem(raw, "revocation", &b)
	if err != nil {
		return nil, err
	}
	if b.Workgroup != IDOf(rootPub) {
		return nil, fmt.Errorf("revocation of workgroup %q, want %q", b.Workgroup, IDOf(rootPub))
	}
	pid, err := peer.IDFromBytes(b.Peer)
	if err != nil {
		return nil, fmt.Errorf("revocation peer ID: %w", err)
	}
	iss, err := verifySig(rootPub, b.Issuer, revDomain, sg.Body, sg.Sig)
	if err != nil {
		return nil, fmt.Errorf("revocation of %s: %w", b.Name, err)
	}
	return &Revocation{RevocationBody: b, PeerID: pid, IssuerID: iss, Raw: raw, Hash: sha256.Sum256(raw)}, nil
}
