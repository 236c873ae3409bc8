package davfs

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestRemoteGetAcrossCopyPieces: a GET through the gateway of another
// node's file is copied to the client in bodyBufSize pieces; every size
// around a piece's edge, and a range across one, arrives exact.
func TestRemoteGetAcrossCopyPieces(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	all := make([]byte, 3*bodyBufSize+77)
	_, _ = rand.Read(all)
	for _, tc := range []struct {
		size       int
		rng        string // a Range header, or ""
		start, end int    // the bytes a range answers
	}{
		{0, "", 0, 0},
		{1, "", 0, 1},
		{bodyBufSize - 1, "", 0, bodyBufSize - 1},
		{bodyBufSize, "", 0, bodyBufSize},
		{bodyBufSize + 1, "", 0, bodyBufSize + 1},
		{len(all), "", 0, len(all)},
		{len(all), fmt.Sprintf("bytes=%d-%d", bodyBufSize-5, 2*bodyBufSize+4), bodyBufSize - 5, 2*bodyBufSize + 5},
	} {
		name := fmt.Sprintf("f%d.bin", tc.size)
		must(t, os.WriteFile(filepath.Join(n.docs, name), all[:tc.size], 0o644))
		req, err := http.NewRequest("GET", n.e.srv.URL+"/srv/docs/"+name, nil)
		must(t, err)
		req.SetBasicAuth(User, testToken)
		want := http.StatusOK
		if tc.rng != "" {
			req.Header.Set("Range", tc.rng)
			want = http.StatusPartialContent
		}
		resp, err := n.e.srv.Client().Do(req)
		must(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != want || !bytes.Equal(got, all[tc.start:tc.end]) {
			t.Errorf("GET %s %s = %d, %d bytes, err %v; want %d, bytes %d-%d", name, tc.rng, resp.StatusCode, len(got), err, want, tc.start, tc.end)
		}
	}
}
