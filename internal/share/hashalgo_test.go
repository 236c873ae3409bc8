package share

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/zeebo/blake3"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

func digestOf(h Hash, data []byte) string {
	if h == HashBLAKE3 {
		s := blake3.Sum256(data)
		return "blake3:" + hex.EncodeToString(s[:])
	}
	s := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Old and new nodes agree on the digest of the end-to-end check: BLAKE3
// only when both ends know it, SHA-256 (the protocol's original digest)
// as soon as one of them is from before it. Get and put, fresh and
// resumed, land the right bytes and report the digest they checked.
func TestHashNegotiation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Rule{Who: "*", Right: "rw"})
	data := randBytes(t, 3<<20+17)
	e.write("f.bin", data)
	src := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		clientOffer    Hash
		serverSHA256   bool
		want           Hash
		resumeFromHalf bool
	}{
		{"new client, new node", HashBLAKE3, false, HashBLAKE3, false},
		{"new client, new node, resumed", HashBLAKE3, false, HashBLAKE3, true},
		{"old client, new node", HashSHA256, false, HashSHA256, false},
		{"new client, old node", HashBLAKE3, true, HashSHA256, false},
		{"new client, old node, resumed", HashBLAKE3, true, HashSHA256, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.svc.shaOnly.Store(tc.serverSHA256)
			c := e.client("alice")
			c.offer = tc.clientOffer
			dst := filepath.Join(t.TempDir(), "got.bin")
			if tc.resumeFromHalf {
				// An earlier attempt left the first half.
				st, _ := os.Stat(filepath.Join(e.root, "f.bin"))
				part := localPartName(dst, c, "docs", "f.bin", entryOf("f.bin", st))
				if err := os.WriteFile(part, data[:len(data)/2], 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res, err := GetFile(e.ctx, c, "docs", "f.bin", dst, TransferOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(dst)
			if !bytes.Equal(got, data) || res.Digest != digestOf(tc.want, data) {
				t.Fatalf("get: equal=%v digest %s, want %s", bytes.Equal(got, data), res.Digest, digestOf(tc.want, data))
			}
			if tc.resumeFromHalf && res.ResumedFrom != int64(len(data)/2) {
				t.Fatalf("get resumed from %d, want %d", res.ResumedFrom, len(data)/2)
			}
			if (res.SHA256 != "") != (tc.want == HashSHA256) {
				t.Fatalf("sha256 field %q with digest %s", res.SHA256, tc.want)
			}
			name := strings.ReplaceAll(tc.name, ",", "") + ".bin"
			res, err = PutFile(e.ctx, c, src, "docs", name, TransferOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, _ = os.ReadFile(filepath.Join(e.root, name))
			if !bytes.Equal(got, data) || res.Digest != digestOf(tc.want, data) {
				t.Fatalf("put: equal=%v digest %s, want %s", bytes.Equal(got, data), res.Digest, digestOf(tc.want, data))
			}
		})
	}
}

// serveTampered makes h a hostile sharing node: it answers stat and read
// for a file holding data, but flips one byte of what it sends while its
// trailer carries the digest of the true bytes (as a peer, or a path,
// that changes bytes in flight would).
func serveTampered(h *p2p.Host, data []byte, flipAt int) {
	mtime := time.Now().UnixNano()
	h.SetStreamHandler(p2p.ProtoFiles, func(st network.Stream) {
		defer st.Close()
		body, err := wire.NewReader(st, maxReqSize).ReadFrameBytes()
		if err != nil {
			_ = st.Reset()
			return
		}
		req, err := DecodeRequest(body)
		if err != nil {
			_ = st.Reset()
			return
		}
		e := Entry{Name: "f.bin", Size: int64(len(data)), Mode: 0o644, Mtime: mtime}
		if req.Op != OpRead {
			_ = wire.WriteFrame(st, Reply{Entry: &e})
			return
		}
		sent := bytes.Clone(data[req.Offset:])
		if i := flipAt - int(req.Offset); i >= 0 && i < len(sent) {
			sent[i] ^= 0x40
		}
		h := req.Hash.New()
		h.Write(data[req.Offset:])
		_ = wire.WriteFrame(st, Reply{Entry: &e, Offset: req.Offset, Length: int64(len(sent)), Hash: req.Hash})
		_, _ = st.Write(sent)
		_ = wire.WriteFrame(st, Reply{Sum: h.Sum(nil)})
	})
}

// Bytes changed in flight fail the read: a Reader (what the WebDAV
// gateway streams from) ends in ErrCorrupt before handing over the last
// bytes of the range, and get fails with no file at the final name.
func TestTamperedBytesAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := randBytes(t, 2<<20+100)
	serveTampered(e.srvHost, data, 1<<20+5)
	c := e.client("alice")

	r, err := c.OpenRead(e.ctx, "docs", "f.bin", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if !errors.Is(err, ErrCorrupt) || len(got) >= len(data) {
		t.Fatalf("read of tampered bytes: %d of %d bytes, err %v (want ErrCorrupt before the end)", len(got), len(data), err)
	}

	dst := filepath.Join(t.TempDir(), "got.bin")
	_, err = GetFile(e.ctx, c, "docs", "f.bin", dst, TransferOptions{Retries: 1, RetryDelay: time.Millisecond})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("get of tampered bytes: %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a corrupt download reached its final name: %v", err)
	}
	noPartials(t, filepath.Dir(dst))
}
