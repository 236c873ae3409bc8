package davfs

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRemotePutCutKeepsOldFile: a PUT through this node's gateway to
// another node's share that does not deliver its whole body (the client
// hangs up mid-body, right after the headers, one byte short; a chunked
// body cut off) never becomes the file: the old content stays whole at
// its name and no other visible name appears. The whole body, sent the
// same way, does replace it (the control). The body spans several of the
// upload's 1 MiB buffers, so the cut lands while the Put is streaming.
func TestRemotePutCutKeepsOldFile(t *testing.T) {
	t.Parallel()
	const size = 3<<20 + 5
	body := make([]byte, size)
	_, _ = rand.Read(body)
	old := []byte("the old content, which a failed upload must leave whole\n")
	for _, tc := range []struct {
		name    string
		chunked bool
		send    int  // bytes of the body sent before the client hangs up
		whole   bool // the body is complete: the file is replaced
	}{
		{"hang up mid-body", false, 2<<20 + 17, false},
		{"hang up after the headers", false, 0, false},
		{"one byte short", false, size - 1, false},
		{"chunked, cut mid-body", true, 2<<20 + 17, false},
		{"whole body (control)", false, size, true},
		{"whole chunked body (control)", true, size, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newTwoNodes(t)
			target := filepath.Join(n.docs, "f.bin")
			must(t, os.WriteFile(target, old, 0o644))
			code := rawPut(t, n.e, "/srv/docs/f.bin", body[:tc.send], size, tc.chunked, tc.whole)
			// Closing the server waits for its handlers: the gateway has
			// finished with the upload when it returns.
			n.e.srv.Close()
			got, err := os.ReadFile(target)
			must(t, err)
			if tc.whole {
				if code != http.StatusNoContent && code != http.StatusCreated || !bytes.Equal(got, body) {
					t.Fatalf("whole PUT = %d, file of %d bytes (equal %v)", code, len(got), bytes.Equal(got, body))
				}
				return
			}
			if !bytes.Equal(got, old) {
				t.Fatalf("a cut PUT changed the file: %d bytes, want the old %d", len(got), len(old))
			}
			ents, err := os.ReadDir(n.docs)
			must(t, err)
			for _, en := range ents {
				if en.Name() != "f.bin" && !strings.HasPrefix(en.Name(), ".") {
					t.Fatalf("a cut PUT left %s", en.Name())
				}
			}
		})
	}
}

// rawPut sends a PUT of path announcing size bytes (or chunked) and the
// given part of the body; complete says the body is whole, so it reads
// the answer's status, else it hangs up and answers 0.
func rawPut(t *testing.T, e *env, path string, part []byte, size int, chunked, complete bool) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	must(t, err)
	defer conn.Close()
	req, _ := http.NewRequest("PUT", e.srv.URL+path, nil)
	req.SetBasicAuth(User, testToken)
	framing := fmt.Sprintf("Content-Length: %d", size)
	if chunked {
		framing = "Transfer-Encoding: chunked"
	}
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n%s\r\n\r\n", path, req.Host, req.Header.Get("Authorization"), framing)
	if chunked {
		for rest := part; len(rest) > 0; {
			k := min(len(rest), 256<<10)
			fmt.Fprintf(w, "%x\r\n", k)
			w.Write(rest[:k])
			w.WriteString("\r\n")
			rest = rest[k:]
		}
		if complete {
			w.WriteString("0\r\n\r\n")
		}
	} else {
		w.Write(part)
	}
	must(t, w.Flush())
	if !complete {
		return 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
