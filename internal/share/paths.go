package share

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on share-relative paths.
const (
	MaxPathLen = 4096 // bytes, whole path
	MaxNameLen = 255  // bytes, one component
)

// ErrBadPath is wrapped by every path refusal.
var ErrBadPath = errors.New("refused path")

// reserved are Windows device names, refused on every OS so that a share
// stays usable from Windows members and no name means a device.
var reserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true,
	"COM0": true, "COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT0": true, "LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
	"COM¹": true, "COM²": true, "COM³": true, "LPT¹": true, "LPT²": true, "LPT³": true,
}

// CleanPath checks a share-relative path as sent by a peer or typed by a
// user and returns it in canonical form: components joined by "/", no
// leading slash, "." for the share's root. It refuses, before any file
// system access: absolute paths, "..", backslashes, drive letters and
// colons, NUL and control bytes, invalid UTF-8, Windows reserved names,
// names ending in a dot or space, and over-long names or paths. Empty
// components ("a//b") and a leading or trailing "/" are tolerated.
func CleanPath(p string) (string, error) {
	if len(p) > MaxPathLen {
		return "", fmt.Errorf("%w: path is %d bytes, limit %d", ErrBadPath, len(p), MaxPathLen)
	}
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("%w: path is not valid UTF-8", ErrBadPath)
	}
	if p == "" || p == "/" || p == "." {
		return ".", nil
	}
	if strings.HasPrefix(p, "/") && strings.HasPrefix(p, "//") {
		return "", fmt.Errorf("%w: %q is a network path", ErrBadPath, p)
	}
	if strings.ContainsRune(p, '\\') {
		return "", fmt.Errorf("%w: %q contains a backslash (use / between folders)", ErrBadPath, p)
	}
	var parts []string
	for _, c := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if c == "" || c == "." {
			continue
		}
		if err := CheckName(c); err != nil {
			return "", err
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return ".", nil
	}
	return strings.Join(parts, "/"), nil
}

// CheckName checks one path component, the rules every peerhood path
// goes by (the files protocol, the CLI and WebDAV): not "..", not a
// transfer's temporary file, at most MaxNameLen bytes of valid UTF-8, no
// NUL, C0/C1 control, format (bidi, zero-width) or replacement
// characters, none of the characters Windows forbids, no leading space,
// no trailing dot or space, and no Windows device name (CON, COM1, ...).
func CheckName(c string) error {
	if strings.HasPrefix(c, partPrefix) {
		return fmt.Errorf("%w: %q is a transfer's temporary file", ErrBadPath, c)
	}
	if c == ".." {
		return fmt.Errorf("%w: %q leaves the share", ErrBadPath, c)
	}
	if len(c) > MaxNameLen {
		return fmt.Errorf("%w: name is %d bytes, limit %d", ErrBadPath, len(c), MaxNameLen)
	}
	if !utf8.ValidString(c) {
		return fmt.Errorf("%w: name %q is not valid UTF-8", ErrBadPath, c)
	}
	for _, r := range c {
		switch {
		case r == 0:
			return fmt.Errorf("%w: name contains a NUL byte", ErrBadPath)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Errorf("%w: name %q contains control character %U", ErrBadPath, c, r)
		case strings.ContainsRune(`\<>:"|?*`, r):
			return fmt.Errorf("%w: name %q contains %q, which Windows refuses", ErrBadPath, c, r)
		case unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			return fmt.Errorf("%w: name %q contains %U", ErrBadPath, c, r)
		}
	}
	if strings.HasSuffix(c, ".") || strings.HasSuffix(c, " ") {
		return fmt.Errorf("%w: name %q ends in a dot or space", ErrBadPath, c)
	}
	if strings.HasPrefix(c, " ") {
		return fmt.Errorf("%w: name %q starts with a space", ErrBadPath, c)
	}
	base := c
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	if reserved[strings.ToUpper(strings.TrimRight(base, " "))] {
		return fmt.Errorf("%w: %q is a reserved device name on Windows", ErrBadPath, c)
	}
	return nil
}

// joinPath joins a cleaned directory and a name.
func joinPath(dir, name string) string {
	if dir == "." || dir == "" {
		return name
	}
	return path.Join(dir, name)
}
