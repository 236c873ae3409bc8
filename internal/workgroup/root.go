package workgroup

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// IDLen is the length of a workgroup ID in characters.
const IDLen = 26

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// IDOf returns the workgroup ID of a root public key: lowercase base32 of
// its SHA-256, truncated to IDLen characters (130 bits).
func IDOf(rootPub ed25519.PublicKey) string {
	sum := sha256.Sum256(rootPub)
	return strings.ToLower(b32.EncodeToString(sum[:]))[:IDLen]
}

// Root is a workgroup's root key pair. Only the workgroup's creator holds
// the private half.
type Root struct {
	ID   string
	Name string
	Pub  ed25519.PublicKey
	Key  ed25519.PrivateKey // nil when this node does not hold the root
}

// NewRoot makes a new root key for a workgroup with the given display
// name.
func NewRoot(name string) (*Root, error) {
	if err := validateDisplayName(name); err != nil {
		return nil, err
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate workgroup root key: %w", err)
	}
	return &Root{ID: IDOf(pub), Name: name, Pub: pub, Key: key}, nil
}

// MaxDisplayNameLen bounds a workgroup's display name.
const MaxDisplayNameLen = 64

func validateDisplayName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errorf(CodeBadRequest, "workgroup name is empty")
	}
	if len(name) > MaxDisplayNameLen {
		return errorf(CodeBadRequest, "workgroup name %q is %d bytes; at most %d", name, len(name), MaxDisplayNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errorf(CodeBadRequest, "workgroup name %q holds a control character", name)
		}
	}
	return nil
}
