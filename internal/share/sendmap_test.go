package share

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A file cut shorter while the sharing node sends it from its mapping
// (sendmap_unix.go): the read ends in an error, never with a complete
// wrong file, the node does not crash on the fault its missing pages
// raise, and it goes on serving. Without the fault handling the test
// binary dies of SIGBUS.
func TestFileCutWhileSentIsRefused(t *testing.T) {
	e := newEnv(t, Rule{Who: "*", Right: "ro"})
	big := make([]byte, 48<<20)
	rand.Read(big)
	e.write("big.bin", big)
	e.write("small.txt", []byte("still here"))
	c := e.client("bob")

	for _, cut := range []int64{0, 20 << 20} {
		r, err := c.OpenRead(e.ctx, "docs", "big.bin", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The sender is now mid-file: flow control holds it within the
		// stream's window (16 MiB) past what was read.
		if _, err := io.ReadFull(r, make([]byte, 1<<20)); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(e.root, "big.bin"), cut); err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err == nil {
			t.Fatalf("cut to %d: the read ended without an error after %d more bytes", cut, n)
		}
		e.write("big.bin", big)
	}
	got := make([]byte, 10)
	if _, err := c.ReadAt(e.ctx, "docs", "small.txt", got, 0); err != nil || string(got) != "still here" {
		t.Fatalf("the node no longer serves: %q, %v", got, err)
	}
	res, err := GetFile(e.ctx, c, "docs", "big.bin", filepath.Join(t.TempDir(), "big.bin"), TransferOptions{})
	if err != nil || res.Bytes != int64(len(big)) {
		t.Fatalf("get after the cuts: %+v, %v", res, err)
	}
}

// Ranges served from mappings are exact at any offset: unaligned starts,
// window edges (mapWindow), the file's last bytes.
func TestMappedRangesAreExact(t *testing.T) {
	e := newEnv(t, Rule{Who: "*", Right: "ro"})
	data := make([]byte, 2*mapWindow+mapWindow/2+123)
	rand.Read(data)
	e.write("f.bin", data)
	c := e.client("bob")
	size := int64(len(data))
	for _, tc := range []struct{ off, n int64 }{
		{0, 0}, {4095, mapWindow + 1}, {mapWindow - 1, 2}, {mapWindow, mapWindow}, {12345, 0}, {size - 123, 123}, {size - 1, 0},
	} {
		r, err := c.OpenRead(e.ctx, "docs", "f.bin", tc.off, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		want := data[tc.off:]
		if tc.n > 0 {
			want = want[:tc.n]
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("range %d+%d: %d bytes, equal %v, err %v", tc.off, tc.n, len(got), bytes.Equal(got, want), err)
		}
	}
}

// The mapped pages one transfer may touch fit in the full pipe's
// buffers, the memory the resource manager grants a fast copy: a node
// that granted only the small pipe reads into buffers instead
// (sendFile), so mapped pages stay within what was reserved.
func TestMappedPagesWithinReservation(t *testing.T) {
	if mappedMax > fullPipe.bytes() {
		t.Fatalf("a transfer may touch %d mapped bytes, more than the %d reserved for its buffers", mappedMax, fullPipe.bytes())
	}
	if int64(lowPipe.bytes()) >= min(int64(64<<20), mappedMax) {
		t.Fatal("the small pipe would map a large file")
	}
}
