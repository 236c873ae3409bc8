package share

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/testutil"
)

// partialsIn lists the temporary upload files in dir.
func partialsIn(t *testing.T, dir string) []string {
	t.Helper()
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), partPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// An upload abandoned part way keeps its temporary file for a resume
// until PartialMaxAge, then the sweeper removes it; recent ones and
// files written since stay.
func TestSweepRemovesAbandonedUploadsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	src := filepath.Join(t.TempDir(), "up.bin")
	os.WriteFile(src, randBytes(t, 8<<20), 0o644)
	interruptedPut(t, e, c, src, "up.bin", 2<<20)
	var parts []string
	testutil.Eventually(t, 5*time.Second, func() error {
		if parts = partialsIn(t, e.root); len(parts) == 0 {
			return errors.New("no partial yet")
		}
		return nil
	})
	if len(parts) != 1 {
		t.Fatalf("partials after an interrupted upload: %v", parts)
	}
	// The server records the partial as kept once its handler returns.
	time.Sleep(200 * time.Millisecond)
	if n, err := e.svc.SweepPartials(e.ctx, time.Now().Add(-PartialMaxAge)); err != nil || n != 0 {
		t.Fatalf("sweep of a fresh partial: removed %d, %v", n, err)
	}
	// Recorded as old, but the file was written just now: it stays.
	old := time.Now().Add(-PartialMaxAge - time.Hour)
	e.db.ExecContext(e.ctx, `UPDATE partial_uploads SET touched = ?`, old.Unix())
	if n, _ := e.svc.SweepPartials(e.ctx, time.Now().Add(-PartialMaxAge)); n != 0 {
		t.Fatalf("swept a partial written since its record: %d", n)
	}
	// Old by both: removed, and forgotten.
	e.db.ExecContext(e.ctx, `UPDATE partial_uploads SET touched = ?`, old.Unix())
	os.Chtimes(filepath.Join(e.root, parts[0]), old, old)
	if n, err := e.svc.SweepPartials(e.ctx, time.Now().Add(-PartialMaxAge)); err != nil || n != 1 {
		t.Fatalf("sweep of an abandoned partial: removed %d, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(e.root, parts[0])); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("abandoned partial still there: %v", err)
	}
	var rows int
	e.db.QueryRowContext(e.ctx, `SELECT count(*) FROM partial_uploads`).Scan(&rows)
	if rows != 0 {
		t.Fatalf("%d partial records left", rows)
	}
	// The upload starts over and completes; nothing is recorded after.
	res, err := PutFile(e.ctx, c, src, "docs", "up.bin", TransferOptions{})
	if err != nil || res.ResumedFrom != 0 {
		t.Fatalf("upload after the sweep: %+v %v", res, err)
	}
	e.db.QueryRowContext(e.ctx, `SELECT count(*) FROM partial_uploads`).Scan(&rows)
	if rows != 0 || len(partialsIn(t, e.root)) != 0 {
		t.Fatalf("after a completed upload: %d records, partials %v", rows, partialsIn(t, e.root))
	}
}

// An interrupted upload under recordMin is not kept for a resume: its
// temporary file goes, and it never costs a database write (a folder of
// small files used to write partial_uploads twice per file).
func TestSmallInterruptedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	c := e.client("alice")
	// Half the bytes, then the source fails: the client resets the
	// stream, as a vanished uploader would.
	data := randBytes(t, 100<<10)
	req := Request{Op: OpWrite, Share: "docs", Path: "small.bin", Size: int64(len(data)), Resume: true, Hash: c.offer}
	_, err := c.put(e.ctx, req, func(_ int64, _ Hash, w io.Writer) ([]byte, error) {
		if _, err := w.Write(data[:len(data)/2]); err != nil {
			return nil, err
		}
		return nil, errors.New("the source failed")
	})
	if err == nil {
		t.Fatal("an upload whose source failed succeeded")
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if parts := partialsIn(t, e.root); len(parts) != 0 {
			return fmt.Errorf("temporary files left: %v", parts)
		}
		return nil
	})
	var n int
	if err := e.db.QueryRowContext(e.ctx, `SELECT count(*) FROM partial_uploads`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("partial_uploads rows after a small upload: %d, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "small.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an interrupted upload reached its final name: %v", err)
	}
}
