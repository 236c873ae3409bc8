package identity

import (
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

const (
	// NodeKeyFile is the Ed25519 node key's file name in the state folder.
	NodeKeyFile = "node.key"
	// AgeKeyFile is the age identity's file name in the state folder.
	AgeKeyFile = "age.key"
	pemType    = "PEERHOOD NODE KEY"
)

// Identity is a node's key material.
type Identity struct {
	Key    crypto.PrivKey
	PeerID peer.ID
	Age    *age.X25519Identity
}

// AgeRecipient returns the node's age recipient string (age1...).
func (id *Identity) AgeRecipient() string { return id.Age.Recipient().String() }

// LoadOrCreate loads the node's keys from dir, creating any that do not
// exist yet. created reports whether a new node key was made.
func LoadOrCreate(dir string) (id *Identity, created bool, err error) {
	key, created, err := loadOrCreateNodeKey(filepath.Join(dir, NodeKeyFile))
	if err != nil {
		return nil, false, err
	}
	pid, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("derive peer ID: %w", err)
	}
	ageID, err := loadOrCreateAgeKey(filepath.Join(dir, AgeKeyFile))
	if err != nil {
		return nil, false, err
	}
	return &Identity{Key: key, PeerID: pid, Age: ageID}, created, nil
}

func loadOrCreateNodeKey(path string) (crypto.PrivKey, bool, error) {
	data, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			return nil, false, fmt.Errorf("generate node key: %w", err)
		}
		raw, err := crypto.MarshalPrivateKey(priv)
		if err != nil {
			return nil, false, fmt.Errorf("encode node key: %w", err)
		}
		out := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: raw})
		if err := WriteKeyFile(path, out); err != nil {
			return nil, false, err
		}
		return priv, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != pemType {
		return nil, false, fmt.Errorf("node key %s: not a peerhood node key (no %q PEM block); move it aside to make a new identity", path, pemType)
	}
	priv, err := crypto.UnmarshalPrivateKey(blk.Bytes)
	if err != nil {
		return nil, false, fmt.Errorf("node key %s: corrupt: %w", path, err)
	}
	if priv.Type() != crypto.Ed25519 {
		return nil, false, fmt.Errorf("node key %s: type %v, want Ed25519", path, priv.Type())
	}
	return priv, false, nil
}

func loadOrCreateAgeKey(path string) (*age.X25519Identity, error) {
	data, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("generate age key: %w", err)
		}
		out := fmt.Sprintf("# peerhood node age identity\n# public key: %s\n%s\n", id.Recipient(), id)
		if err := WriteKeyFile(path, []byte(out)); err != nil {
			return nil, err
		}
		return id, nil
	}
	if err != nil {
		return nil, err
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(data)))
	if err != nil {
		return nil, fmt.Errorf("age key %s: corrupt: %w", path, err)
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("age key %s: holds %d identities, want 1", path, len(ids))
	}
	x, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, fmt.Errorf("age key %s: not an X25519 identity", path)
	}
	return x, nil
}

// readKeyFile reads a key file, refusing one that others may read.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: mode %04o lets others read it; run: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return data, nil
}

// WriteKeyFile writes a new key file (a key, a token) with mode 0600,
// atomically: a temporary file in the same folder, synced, then linked
// to path, so path is absent or whole, never empty or cut short (a
// full disk, a crash). It never replaces an existing file.
func WriteKeyFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-key-*")
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	// Link fails if path exists, so a key is never replaced.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return nil
}
