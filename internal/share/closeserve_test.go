package share

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/wire"
)

// partSizes is the size of each upload temporary file in the share's
// root folder, by name.
func partSizes(t *testing.T, root string) map[string]int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(root, partPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, n := range names {
		fi, err := os.Stat(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = fi.Size()
	}
	return out
}

// TestNoUploadAfterClose: libp2p runs a files handler on a goroutine of
// its own, and RemoveStreamHandler stops new streams only. An upload in
// flight when the service closes must not go on writing the share once
// Close returned (the old code read the rest of the bytes, renamed the
// file into place and recorded its digest, after Close, until the host
// closed): Close resets the stream and waits for the handler. The
// sender gets an error it retries, nothing appears under the final
// name, the temporary file does not grow after Close, and a retry on
// the restarted service finishes the file.
func TestNoUploadAfterClose(t *testing.T) {
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("bob")
	const size = 3 << 20
	data := make([]byte, size)
	_, _ = rand.Read(data)
	mtime := time.Unix(1700000000, 0)

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := c.Put(e.ctx, "docs", "big.bin", pr, size, mtime)
		done <- err
	}()
	// Put reads the source only after the header reply: the handler is
	// receiving bytes.
	if _, err := pw.Write(data[:1<<20]); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	atClose := partSizes(t, e.root)
	go func() { // the rest of the file, sent after Close returned
		_, err := pw.Write(data[1<<20:])
		pw.CloseWithError(err)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the upload neither ended nor failed")
	}
	pr.CloseWithError(errors.New("test over"))
	if err == nil {
		t.Fatal("an upload in flight at Close was completed after Close returned")
	}
	if !retryable(e.ctx, err) {
		t.Errorf("the upload cut by Close failed with %v, which the sender does not retry", err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "big.bin")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the final name after an upload cut by Close: %v, want none", err)
	}
	if after := partSizes(t, e.root); len(after) != len(atClose) {
		t.Errorf("temporary files %v after the upload ended, %v when Close returned", after, atClose)
	} else {
		for n, sz := range after {
			if atClose[n] != sz {
				t.Errorf("temporary file %s: %d bytes when Close returned, %d after: written after Close", n, atClose[n], sz)
			}
		}
	}

	// The sender's retry, once the node serves again, finishes the file.
	e.svc = New(e.db, e.srvHost.Host, e.dir, nil)
	e.svc.Register()
	t.Cleanup(func() { e.svc.Close() })
	local := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(local, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(local, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if _, err := PutFile(e.ctx, c, local, "docs", "big.bin", TransferOptions{}); err != nil {
		t.Fatalf("retry after restart: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(e.root, "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after the retry: %d bytes, %v; want the %d bytes sent", len(got), err, size)
	}
}

// TestNoBatchItemAfterClose: a batch serves items until the client ends
// it. On a batch stream opened before Close, an item sent after Close
// returned is not answered (the old code answered it, reading the share,
// until the host closed).
func TestNoBatchItemAfterClose(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", []byte("alpha"))
	c := e.client("bob")
	st, rd, _, err := c.openBatch(e.ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Reset()
	// The answers are buffered: one goes out when the next item comes or
	// the client ends the batch.
	send := func() error { return wire.WriteFrame(st, Request{Op: OpRead, Path: "a.txt"}) }
	recv := func() error {
		r, err := readReply(rd)
		if err != nil {
			return err
		}
		if _, err := io.CopyN(io.Discard, rd, r.Length); err != nil {
			return err
		}
		var tr Reply
		return rd.ReadFrame(&tr)
	}
	for range 2 {
		if err := send(); err != nil {
			t.Fatal(err)
		}
	}
	if err := recv(); err != nil { // the first item's answer: the batch is being served
		t.Fatalf("before Close: %v", err)
	}
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	_ = send() // the item sent after Close returned
	_ = st.CloseWrite()
	_ = recv() // the second item's
	if err := recv(); err == nil {
		t.Fatal("a batch item on a stream opened before Close was answered after Close returned")
	}
}
