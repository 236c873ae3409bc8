package davfs

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/wire"
)

// serveTampered turns h into a hostile sharing node with one share
// "docs" holding f.bin = data: it flips one byte of what it sends but
// its trailer carries the digest of the true bytes.
func serveTampered(h *p2p.Host, data []byte, flipAt int) {
	mtime := time.Now().UnixNano()
	h.SetStreamHandler(p2p.ProtoFiles, func(st network.Stream) {
		defer st.Close()
		body, err := wire.NewReader(st, 16<<10).ReadFrameBytes()
		if err != nil {
			_ = st.Reset()
			return
		}
		req, err := share.DecodeRequest(body)
		if err != nil {
			_ = st.Reset()
			return
		}
		e := share.Entry{Name: "f.bin", Size: int64(len(data)), Mode: 0o644, Mtime: mtime}
		switch req.Op {
		case share.OpShares:
			_ = wire.WriteFrame(st, share.Reply{Shares: []share.ShareInfo{{Name: "docs", Workgroup: shareWG, Right: share.ReadOnly}}})
			return
		case share.OpRead:
		default:
			if req.Path == "." {
				e = share.Entry{Name: "docs", Mode: 0o755, Mtime: mtime, Dir: true}
			}
			_ = wire.WriteFrame(st, share.Reply{Entry: &e})
			return
		}
		sent := bytes.Clone(data[req.Offset:])
		if i := flipAt - int(req.Offset); i >= 0 && i < len(sent) {
			sent[i] ^= 0x40
		}
		sum := req.Hash.New()
		sum.Write(data[req.Offset:])
		_ = wire.WriteFrame(st, share.Reply{Entry: &e, Offset: req.Offset, Length: int64(len(sent)), Hash: req.Hash})
		_, _ = st.Write(sent)
		_ = wire.WriteFrame(st, share.Reply{Sum: sum.Sum(nil)})
	})
}

// A GET through this node's gateway of a remote file whose bytes were
// changed in flight fails: the response never carries the whole body
// (the client sees a short body, not a complete bad file), as a get of
// the same file fails its end-to-end check.
func TestGatewayGetRefusesTamperedBytes(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	data := make([]byte, 2<<20+77)
	_, _ = rand.Read(data)
	serveTampered(n.srv.host, data, 1<<20+3)

	req, err := http.NewRequest("GET", n.e.srv.URL+"/srv/docs/f.bin", nil)
	must(t, err)
	req.SetBasicAuth(User, testToken)
	resp, err := n.e.srv.Client().Do(req)
	if err != nil {
		return // refused before any byte: fine
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && err == nil {
		t.Fatalf("GET of tampered bytes answered 200 with a complete body of %d bytes (equal to the true file: %v)", len(got), bytes.Equal(got, data))
	}
	t.Logf("status %d, %d of %d bytes, err %v", resp.StatusCode, len(got), len(data), err)
	if len(got) >= len(data) {
		t.Fatalf("GET of tampered bytes delivered %d of %d bytes (status %d, err %v)", len(got), len(data), resp.StatusCode, err)
	}
}
