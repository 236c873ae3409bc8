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

	"github.com/peerhood/peerhood/internal/identity"
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
	// Atomically (was created in place: a crash or a full disk could
	// leave an empty file the next start refuses).
	if err := identity.WriteKeyFile(p, []byte(tok+"\n")); err != nil {
		return "", err
	}
	tokenFiles.Store(tok, p)
	return tok, nil
}
