package spool

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

const (
	// InlineMax is the largest ciphertext kept in SQLite rather than in a
	// spool file.
	InlineMax  = 64 << 10
	maxPayload = 1 << 40
	maxHeader  = 16 << 20
	maxFiles   = 100000
)

// FileEntry is one file carried by a payload.
type FileEntry struct {
	Path string `cbor:"1,keyasint" json:"path"` // slash-separated, relative
	Size uint64 `cbor:"2,keyasint" json:"size"`
	Mode uint32 `cbor:"3,keyasint" json:"mode"`
}

// PayloadHeader is the first frame of a decrypted payload.
type PayloadHeader struct {
	Kind    string      `cbor:"1,keyasint"`
	Subject string      `cbor:"2,keyasint,omitempty"`
	Body    string      `cbor:"3,keyasint,omitempty"`
	Files   []FileEntry `cbor:"4,keyasint,omitempty"`
	// Share, when set, asks the recipient to write the files straight
	// into its share of that name, under folder Dir ("" for the share's
	// root), if it lets the sender write there. The header is inside the
	// age payload whose hash the sender signs, so no mailbox sees or
	// changes the target.
	Share string `cbor:"5,keyasint,omitempty"`
	Dir   string `cbor:"6,keyasint,omitempty"`
	// NoClobber (with Share): refuse to replace existing files instead of
	// replacing them (share/dest.go: the same rule as get and put).
	NoClobber bool `cbor:"7,keyasint,omitempty"`
}

func (h *PayloadHeader) check() error {
	if len(h.Files) > maxFiles {
		return fmt.Errorf("payload lists %d files, limit %d", len(h.Files), maxFiles)
	}
	for _, f := range h.Files {
		if err := checkRelPath(f.Path); err != nil {
			return err
		}
		// Sizes are summed as int64 by the readers: each at most
		// maxPayload keeps the sum of maxFiles of them far from overflow
		// (two sizes near 2^63 wrapped around to the bytes really there).
		if f.Size > maxPayload {
			return fmt.Errorf("file %q is %d bytes, limit %d", f.Path, f.Size, uint64(maxPayload))
		}
	}
	if h.Dir != "" {
		if h.Share == "" {
			return fmt.Errorf("payload names a folder but no share")
		}
		if err := checkRelPath(h.Dir); err != nil {
			return fmt.Errorf("target %w", err)
		}
	}
	if h.Share != "" && (h.Kind != KindFile || len(h.Share) > 255 || strings.ContainsAny(h.Share, "/\\:\x00")) {
		return fmt.Errorf("target share %q not allowed", h.Share)
	}
	return nil
}

// ShareWriter writes received files into this node's shares (the share
// service implements it). Its errors' text is the reason the sender hears.
type ShareWriter interface {
	// CheckWrite returns nil when member m may write into share name.
	CheckWrite(ctx context.Context, m workgroup.Member, name string) error
	// WriteFiles writes file i (sizes[i] bytes read from r) to paths[i]
	// of share name as m: temporary file then rename, no existing file
	// replaced, and nothing left behind on error.
	WriteFiles(ctx context.Context, m workgroup.Member, name string, paths []string, sizes []int64, r io.Reader) ([]string, error)
}

// ShareReplacer, when the ShareWriter also implements it, replaces
// existing files (a copy sent without --no-clobber); without it every
// copy into a share refuses existing files.
type ShareReplacer interface {
	ReplaceFiles(ctx context.Context, m workgroup.Member, name string, paths []string, sizes []int64, r io.Reader) ([]string, error)
}

// shareTarget splits NAME:SHARE[/path] into its parts; a plain NAME has
// an empty share.
func shareTarget(to string) (name, shr, dir string, err error) {
	name, rest, ok := strings.Cut(to, ":")
	if !ok {
		return to, "", "", nil
	}
	shr, dir, _ = strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	dir = strings.Trim(dir, "/")
	if shr == "" {
		return "", "", "", fmt.Errorf("%s: want NAME:SHARE/path (the share is missing)", to)
	}
	if dir == "." {
		dir = ""
	}
	if dir != "" {
		if err := checkRelPath(dir); err != nil {
			return "", "", "", fmt.Errorf("%s: %w", to, err)
		}
	}
	h := PayloadHeader{Kind: KindFile, Share: shr, Dir: dir}
	if err := h.check(); err != nil {
		return "", "", "", fmt.Errorf("%s: %w", to, err)
	}
	return name, shr, dir, nil
}

// checkRelPath refuses a path that is absolute, empty or climbs out.
func checkRelPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("file path %q not allowed", p)
	}
	if path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("file path %q not allowed", p)
	}
	return nil
}

// sourceFile is a local file to seal.
type sourceFile struct {
	abs   string
	entry FileEntry
}

// collectFiles expands the given absolute paths into files; a folder needs
// recursive and keeps its own name as the first path element.
func collectFiles(paths []string, recursive bool) ([]sourceFile, error) {
	var out []sourceFile
	seen := map[string]bool{}
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("%s: path must be absolute", p)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		base := filepath.Dir(filepath.Clean(p))
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: not a regular file", p)
			}
			out = append(out, sourceFile{abs: p, entry: FileEntry{Path: filepath.Base(p), Size: uint64(fi.Size()), Mode: uint32(fi.Mode().Perm())}})
			continue
		}
		if !recursive {
			return nil, fmt.Errorf("%s is a folder: use -r to copy folders", p)
		}
		err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil // folders are implied; links and devices are skipped
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(base, fp)
			if err != nil {
				return err
			}
			out = append(out, sourceFile{abs: fp, entry: FileEntry{Path: filepath.ToSlash(rel), Size: uint64(info.Size()), Mode: uint32(info.Mode().Perm())}})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read folder %s: %w", p, err)
		}
	}
	for _, f := range out {
		if seen[f.entry.Path] {
			return nil, fmt.Errorf("two files would be named %s", f.entry.Path)
		}
		seen[f.entry.Path] = true
		if err := checkRelPath(f.entry.Path); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writePayload writes the plaintext payload (header frame, then each
// file's bytes) to w.
func writePayload(w io.Writer, hdr PayloadHeader, files []sourceFile) error {
	if err := wire.WriteFrame(w, &hdr); err != nil {
		return err
	}
	var buf []byte
	if len(files) > 0 {
		buf = make([]byte, 1<<20)
	}
	for _, f := range files {
		fh, err := os.Open(f.abs)
		if err != nil {
			return err
		}
		n, err := io.CopyBuffer(w, io.LimitReader(fh, int64(f.entry.Size)+1), buf)
		fh.Close()
		if err != nil {
			return fmt.Errorf("seal %s: %w", f.abs, err) // reading it, or writing the spool
		}
		if uint64(n) != f.entry.Size {
			return fmt.Errorf("%s changed size while being sealed (%d bytes, expected %d)", f.abs, n, f.entry.Size)
		}
	}
	return nil
}

// onlyWriter hides a file's ReadFrom so io.CopyBuffer uses the buffer
// given (large writes) rather than the file's own 32 KiB fallback.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }

// openPayload decrypts a ciphertext and reads its header; the returned
// reader yields the files' bytes.
func openPayload(r io.Reader, id age.Identity) (*PayloadHeader, io.Reader, error) {
	pr, err := age.Decrypt(r, id)
	if err != nil {
		return nil, nil, fmt.Errorf("decrypt: %w", err)
	}
	wr := wire.NewReader(pr, maxHeader)
	var h PayloadHeader
	if err := wr.ReadFrame(&h); err != nil {
		return nil, nil, fmt.Errorf("payload header: %w", err)
	}
	if err := h.check(); err != nil {
		return nil, nil, err
	}
	return &h, wr, nil
}
