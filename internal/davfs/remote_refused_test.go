package davfs

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/wire"
)

// serveRefusingWrites turns h into a sharing node with one writable
// share "docs" holding f.bin that takes a whole upload, then answers it
// with the error refusal (the digest did not match, or it failed there);
// early: it refuses before any byte (busy).
func serveRefusingWrites(h *p2p.Host, refusal *wire.Error, early bool) {
	mtime := time.Now().UnixNano()
	h.SetStreamHandler(p2p.ProtoFiles, func(st network.Stream) {
		defer st.Close()
		rd := wire.NewReader(st, 16<<10)
		body, err := rd.ReadFrameBytes()
		if err != nil {
			_ = st.Reset()
			return
		}
		req, err := share.DecodeRequest(body)
		if err != nil {
			_ = st.Reset()
			return
		}
		e := share.Entry{Name: "f.bin", Size: 3, Mode: 0o644, Mtime: mtime}
		switch req.Op {
		case share.OpShares:
			_ = wire.WriteFrame(st, share.Reply{Shares: []share.ShareInfo{{Name: "docs", Workgroup: shareWG, Right: share.ReadWrite}}})
		case share.OpWrite:
			if early {
				_ = wire.WriteFrame(st, share.Reply{Err: refusal})
				return
			}
			_ = wire.WriteFrame(st, share.Reply{Offset: 0, Hash: req.Hash})
			var tr share.Trailer
			if _, err := io.CopyN(io.Discard, rd, req.Size); err != nil || rd.ReadFrame(&tr) != nil {
				_ = st.Reset()
				return
			}
			_ = wire.WriteFrame(st, share.Reply{Err: refusal})
		default:
			if req.Path == "." {
				e = share.Entry{Name: "docs", Mode: 0o755, Mtime: mtime, Dir: true}
			}
			_ = wire.WriteFrame(st, share.Reply{Entry: &e})
		}
	})
}

// TestRemotePutRefusedIsClear: when the sharing node refuses a PUT's
// bytes after taking them all (the digest did not match what the gateway
// sent, or writing failed there), the client gets 502 Bad Gateway with
// the reason, never a success and never x/net/webdav's 405; a node busy
// with this member's transfers is 503 (retry later).
func TestRemotePutRefusedIsClear(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		refusal *wire.Error
		early   bool
		code    int
		reason  string
	}{
		{"digest mismatch", &wire.Error{Code: "corrupt", Message: "digest of the received file does not match the sender's"}, false, http.StatusBadGateway, "digest"},
		{"failed there", &wire.Error{Code: wire.CodeInternal, Message: "write f.bin: input/output error"}, false, http.StatusBadGateway, "input/output error"},
		{"busy", &wire.Error{Code: "busy", Message: "too many transfers from this member at once; retry later"}, true, http.StatusServiceUnavailable, "retry later"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newTwoNodes(t)
			serveRefusingWrites(n.srv.host, tc.refusal, tc.early)
			body := make([]byte, 2<<20+9)
			_, _ = rand.Read(body)
			req, err := http.NewRequest("PUT", n.e.srv.URL+"/srv/docs/f.bin", bytes.NewReader(body))
			must(t, err)
			req.SetBasicAuth(User, testToken)
			resp, err := n.e.srv.Client().Do(req)
			must(t, err)
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code || !strings.Contains(string(msg), tc.reason) {
				t.Fatalf("refused PUT = %d %q, want %d naming %q", resp.StatusCode, msg, tc.code, tc.reason)
			}
			if _, err := os.Stat(filepath.Join(n.docs, "f.bin")); err == nil {
				t.Fatal("a refused PUT landed on the sharing node's disk")
			}
		})
	}
}
