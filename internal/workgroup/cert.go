package workgroup

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/identity"
)

// Signature domains: what is signed is the domain string followed by the
// CBOR body, so a certificate signature can never pass as a revocation's.
const (
	certDomain = "peerhood certificate v1\x00"
	revDomain  = "peerhood revocation v1\x00"
)

// MaxChainDepth bounds how many admin certificates a chain may pass
// through before it reaches the root.
const MaxChainDepth = 4

// maxItem bounds a signed certificate or revocation in bytes.
const maxItem = 4096

// CertBody is the signed content of a member certificate.
type CertBody struct {
	Workgroup    string   `cbor:"1,keyasint"`
	Name         string   `cbor:"2,keyasint"`
	Peer         []byte   `cbor:"3,keyasint"` // peer ID bytes
	AgeRecipient string   `cbor:"4,keyasint"`
	Roles        []string `cbor:"5,keyasint,omitempty"`
	Groups       []string `cbor:"6,keyasint,omitempty"`
	NotBefore    int64    `cbor:"7,keyasint"` // unix seconds
	NotAfter     int64    `cbor:"8,keyasint"`
	Serial       []byte   `cbor:"9,keyasint"`            // 16 random bytes
	Issuer       []byte   `cbor:"10,keyasint,omitempty"` // empty: the root; else the issuing admin's peer ID
}

// Signed is a signed CBOR body: a certificate or a revocation.
type Signed struct {
	Body []byte `cbor:"1,keyasint"`
	Sig  []byte `cbor:"2,keyasint"`
}

// Cert is a parsed certificate whose signature has been checked against
// its declared issuer (not yet its chain: that needs the roster).
type Cert struct {
	CertBody
	PeerID   peer.ID
	IssuerID peer.ID // "" for the root
	Raw      []byte
	Hash     [32]byte
}

// Signer signs certificates and revocations: the root key, or an admin's
// node key.
type Signer struct {
	root ed25519.PrivateKey
	node crypto.PrivKey
	id   peer.ID
}

// RootSigner signs with a workgroup's root key.
func RootSigner(key ed25519.PrivateKey) Signer { return Signer{root: key} }

// NodeSigner signs with an admin's node key.
func NodeSigner(key crypto.PrivKey) (Signer, error) {
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return Signer{}, fmt.Errorf("signer peer ID: %w", err)
	}
	return Signer{node: key, id: id}, nil
}

func (s Signer) issuer() []byte {
	if s.root != nil {
		return nil
	}
	return []byte(s.id)
}

func (s Signer) sign(msg []byte) ([]byte, error) {
	if s.root != nil {
		return ed25519.Sign(s.root, msg), nil
	}
	if s.node == nil {
		return nil, fmt.Errorf("no signing key")
	}
	return s.node.Sign(msg)
}

// verifySig checks sig over domain+body by the issuer (root when issuer
// is empty, else the Ed25519 key embedded in the issuer's peer ID), with
// crypto/ed25519's rules (identity.VerifyEd25519: the few issuers' keys
// stay expanded in its cache).
func verifySig(rootPub ed25519.PublicKey, issuer []byte, domain string, body, sig []byte) (peer.ID, error) {
	msg := append([]byte(domain), body...)
	if len(issuer) == 0 {
		if len(rootPub) != ed25519.PublicKeySize || !identity.VerifyEd25519(rootPub, msg, sig) {
			return "", fmt.Errorf("bad root signature")
		}
		return "", nil
	}
	id, err := peer.IDFromBytes(issuer)
	if err != nil {
		return "", fmt.Errorf("issuer: %w", err)
	}
	pk, err := id.ExtractPublicKey()
	if err != nil {
		return "", fmt.Errorf("issuer %s: no embedded public key: %w", id, err)
	}
	if pk.Type() != crypto.Ed25519 {
		return "", fmt.Errorf("issuer %s: key type %v, want Ed25519", id, pk.Type())
	}
	ok, err := identity.VerifyKey(pk, msg, sig)
	if err != nil || !ok {
		return "", fmt.Errorf("bad signature by %s", id)
	}
	return id, nil
}

// CertValidity is how long a new member certificate is valid.
const CertValidity = 5 * 365 * 24 * time.Hour

// IssueCert signs a certificate for body (Serial, NotBefore and NotAfter
// are filled in when zero).
func IssueCert(s Signer, body CertBody, now time.Time) ([]byte, error) {
	body.Issuer = s.issuer()
	if len(body.Serial) == 0 {
		body.Serial = make([]byte, 16)
		if _, err := rand.Read(body.Serial); err != nil {
			return nil, err
		}
	}
	if body.NotBefore == 0 {
		body.NotBefore = now.Add(-5 * time.Minute).Unix()
	}
	if body.NotAfter == 0 {
		body.NotAfter = now.Add(CertValidity).Unix()
	}
	return signItem(s, certDomain, "certificate", body)
}

// ParseCert decodes a signed certificate and checks its fields and its
// signature by its declared issuer; rootPub is the workgroup's root key.
// The chain (is the issuer an admin?) is checked by the roster.
func ParseCert(raw []byte, rootPub ed25519.PublicKey) (*Cert, error) {
	var b CertBody
	sg, err := openItem(raw, "certificate", &b)
	if err != nil {
		return nil, err
	}
	if b.Workgroup != IDOf(rootPub) {
		return nil, fmt.Errorf("certificate of workgroup %q, want %q", b.Workgroup, IDOf(rootPub))
	}
	if err := identity.ValidateName(b.Name); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	pid, err := peer.IDFromBytes(b.Peer)
	if err != nil {
		return nil, fmt.Errorf("certificate peer ID: %w", err)
	}
	if _, err := age.ParseX25519Recipient(b.AgeRecipient); err != nil {
		return nil, fmt.Errorf("certificate age recipient: %w", err)
	}
	for _, r := range b.Roles {
		if !slices.Contains([]string{RoleAdmin, RoleMailbox, RoleRelay}, r) {
			return nil, fmt.Errorf("certificate: unknown role %q", r)
		}
	}
	if b.NotAfter <= b.NotBefore {
		return nil, fmt.Errorf("certificate: not-after before not-before")
	}
	if len(b.Serial) < 8 || len(b.Serial) > 32 {
		return nil, fmt.Errorf("certificate: serial of %d bytes", len(b.Serial))
	}
	iss, err := verifySig(rootPub, b.Issuer, certDomain, sg.Body, sg.Sig)
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %w", b.Name, err)
	}
	return &Cert{CertBody: b, PeerID: pid, IssuerID: iss, Raw: raw, Hash: sha256.Sum256(raw)}, nil
}

// ValidAt reports whether t is inside the certificate's validity window.
func (c *Cert) ValidAt(t time.Time) bool {
	u := t.Unix()
	return u >= c.NotBefore && u < c.NotAfter
}

// HasRole reports whether the certificate grants role r.
func (c *Cert) HasRole(r string) bool { return slices.Contains(c.Roles, r) }

// member converts a certificate into the Member it describes.
func (c *Cert) member(wgName string) Member {
	return Member{
		Workgroup:     c.Workgroup,
		WorkgroupName: wgName,
		Name:          c.Name,
		PeerID:        c.PeerID,
		AgeRecipient:  c.AgeRecipient,
		Roles:         slices.Clone(c.Roles),
		Groups:        slices.Clone(c.Groups),
		NotAfter:      time.Unix(c.NotAfter, 0).UTC(),
	}
}
