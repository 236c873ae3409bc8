//go:build linux

package share

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDigestsFollowTheFileVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.svc.Digests()
	ctx := context.Background()
	p := filepath.Join(e.base, "f.bin")
	data := randBytes(t, digestMinSize)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	fi, _ := os.Stat(p)
	if _, ok := d.Lookup(ctx, HashSHA256, fi); ok {
		t.Fatal("hit before anything was remembered")
	}
	d.Remember(ctx, HashSHA256, fi, sum[:])
	if got, ok := d.Lookup(ctx, HashSHA256, fi); !ok || !bytes.Equal(got, sum[:]) {
		t.Fatalf("lookup after remember: %x %v", got, ok)
	}
	small := filepath.Join(e.base, "small.bin")
	os.WriteFile(small, []byte("tiny"), 0o644)
	sfi, _ := os.Stat(small)
	d.Remember(ctx, HashSHA256, sfi, sum[:])
	if _, ok := d.Lookup(ctx, HashSHA256, sfi); ok {
		t.Fatal("a file below digestMinSize was remembered")
	}

	// Any write invalidates: even one that keeps size and mtime (the
	// change time moves).
	time.Sleep(10 * time.Millisecond)
	f, _ := os.OpenFile(p, os.O_WRONLY, 0)
	f.WriteAt([]byte{data[0] ^ 1}, 0)
	f.Close()
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	fi2, _ := os.Stat(p)
	if fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("test setup: size or mtime moved")
	}
	if _, ok := d.Lookup(ctx, HashSHA256, fi2); ok {
		t.Fatal("hit after the file was rewritten in place with its mtime put back")
	}
	// Replacing the file (new inode) invalidates too.
	os.WriteFile(p+".new", data, 0o644)
	os.Rename(p+".new", p)
	fi3, _ := os.Stat(p)
	if _, ok := d.Lookup(ctx, HashSHA256, fi3); ok {
		t.Fatal("hit for a different file under the same name")
	}
	d.Forget(ctx, fi)
}

// poison replaces every remembered digest (of either algorithm) by a
// wrong one.
func poison(t *testing.T, e *env) int64 {
	t.Helper()
	var total int64
	for _, q := range []string{`UPDATE file_digests SET sha256 = zeroblob(32)`, `UPDATE file_blake3 SET blake3 = zeroblob(32)`} {
		r, err := e.db.ExecContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := r.RowsAffected()
		total += n
	}
	return total
}

func TestGetUsesRememberedDigestAndRecoversFromAWrongOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	data := randBytes(t, digestMinSize+4321)
	e.write("big.bin", data)
	dst := t.TempDir()
	if _, err := GetFile(e.ctx, c, "docs", "big.bin", filepath.Join(dst, "a"), TransferOptions{}); err != nil {
		t.Fatal(err)
	}
	// The first read hashed the file and remembered it; a wrong
	// remembered digest is now sent, so the receiver's check fails once,
	// and the retry asks for a fresh hash.
	if n := poison(t, e); n != 1 {
		t.Fatalf("%d remembered digests after one read of one large file, want 1", n)
	}
	res, err := GetFile(e.ctx, c, "docs", "big.bin", filepath.Join(dst, "b"), TransferOptions{RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "b"))
	if !bytes.Equal(got, data) || res.Retries != 1 {
		t.Fatalf("get with a wrong remembered digest: equal=%v retries=%d (want a retry)", bytes.Equal(got, data), res.Retries)
	}
	// The fresh hash replaced the wrong one: the next get needs no retry.
	res, err = GetFile(e.ctx, c, "docs", "big.bin", filepath.Join(dst, "c"), TransferOptions{})
	if err != nil || res.Retries != 0 {
		t.Fatalf("third get: %v, retries %d", err, res.Retries)
	}
}

func TestPutUsesRememberedDigestAndRecoversFromAWrongOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	data := randBytes(t, digestMinSize+99)
	src := filepath.Join(t.TempDir(), "src.bin")
	os.WriteFile(src, data, 0o644)
	local := NewDigests(e.db, nil) // the uploading node's cache (same table, other rows)
	o := TransferOptions{Digests: local, RetryDelay: time.Millisecond}
	if _, err := PutFile(e.ctx, c, src, "docs", "one.bin", o); err != nil {
		t.Fatal(err)
	}
	// The upload remembered the local file, the sharing node the file it
	// received: two rows, both poisoned now.
	if n := poison(t, e); n != 2 {
		t.Fatalf("%d remembered digests, want 2 (local source and received copy)", n)
	}
	res, err := PutFile(e.ctx, c, src, "docs", "two.bin", o)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(e.root, "two.bin"))
	if !bytes.Equal(got, data) || res.Retries != 1 {
		t.Fatalf("put with a wrong remembered digest: equal=%v retries=%d (want one retry)", bytes.Equal(got, data), res.Retries)
	}
}
