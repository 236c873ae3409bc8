package davfs

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// TokenFile is the local token's file name in the state folder.
const TokenFile = "webdav.token"

// LoadOrCreateToken returns the node's local token from home/webdav.token,
// creating it (32 random bytes, base64url, mode 0600) on first use. A
// token file that others may read is refused.
func LoadOrCreateToken(home string) (string, error) {
	p := filepath.Join(home, TokenFile)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return createToken(p)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("stat %s: %w", p, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("%s has mode %04o: others can read it; run: chmod 600 %s", p, fi.Mode().Perm(), p)
		}
	}
	tok := strings.TrimSpace(string(data))
	if raw, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(raw) != 32 {
		return "", fmt.Errorf("%s does not hold a token (32 bytes, base64url); remove it to make a new one", p)
	}
	tokenFiles.Store(tok, p)
	return tok, nil
}

func createToken(p string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("make token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", p, err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		os.Remove(p)
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(p)
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	tokenFiles.Store(tok, p)
	return tok, nil
}
