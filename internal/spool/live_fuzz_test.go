package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// segments encodes parts as a live offer's segments with the end marker.
func segments(parts ...[]byte) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		binary.Write(&b, binary.BigEndian, uint32(len(p)))
		b.Write(p)
	}
	b.Write(make([]byte, 4))
	return b.Bytes()
}

func liveSegmentSeeds() [][]byte {
	return [][]byte{
		segments([]byte("abc"), bytes.Repeat([]byte{9}, 300)),
		segments(),
		{0, 0, 0, 5, 1, 2},                     // cut inside a segment
		{0, 0x10, 0, 1, 1},                     // longer than maxSegment
		append(segments([]byte("x")), 1, 2, 3), // bytes after the end marker
	}
}

// FuzzLiveSegments feeds arbitrary bytes to a live offer's segment
// reader: it never panics, never yields more than its bound, and what it
// yields up to the end marker is the segments' bytes in order.
func FuzzLiveSegments(f *testing.F) {
	for _, s := range liveSegmentSeeds() {
		f.Add(s, uint16(1000))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		sr := &segReader{r: bytes.NewReader(data), max: uint64(max)}
		var got bytes.Buffer
		buf := make([]byte, 7) // small reads cross segment boundaries
		var err error
		for err == nil {
			var n int
			n, err = sr.Read(buf)
			got.Write(buf[:n])
			if uint64(got.Len()) > uint64(max) {
				t.Fatalf("read %d bytes past the bound %d", got.Len(), max)
			}
		}
		if !errors.Is(err, errSegEnd) {
			return
		}
		// Parse again the plain way: it must agree.
		var want bytes.Buffer
		for rest := data; ; {
			n := binary.BigEndian.Uint32(rest)
			if n == 0 {
				break
			}
			want.Write(rest[4 : 4+n])
			rest = rest[4+n:]
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("segments read as %q, want %q", got.Bytes(), want.Bytes())
		}
		if n, err := sr.Read(buf); n != 0 || !errors.Is(err, errSegEnd) {
			t.Fatalf("read after the end: %d, %v", n, err)
		}
	})
}

// liveChecker is a service with just what checkLive needs: a directory
// where self and a member share workgroup testWG.
func liveChecker(t testing.TB) (*Service, peer.ID) {
	k1, _, _ := crypto.GenerateEd25519Key(nil)
	k2, _, _ := crypto.GenerateEd25519Key(nil)
	self, _ := peer.IDFromPrivateKey(k1)
	other, _ := peer.IDFromPrivateKey(k2)
	d := workgroup.NewStaticDirectory(self)
	for _, p := range []peer.ID{self, other} {
		d.Add(workgroup.Member{Workgroup: testWG, WorkgroupName: "test", Name: p.String()[:8], PeerID: p, NotAfter: time.Now().Add(time.Hour)})
	}
	return &Service{dir: d, self: self}, other
}

func liveHeaderSeeds() [][]byte {
	var out [][]byte
	for _, v := range []any{
		&deliverReq{Op: opLive, Live: &liveHeader{ID: bytes.Repeat([]byte{3}, idLen), Workgroup: testWG, Kind: KindFile, Max: 1 << 30}},
		&deliverReq{Op: opLive, Live: &liveHeader{ID: []byte{1}, Workgroup: testWG, Kind: KindMail, Max: 5}},
		&deliverReq{Op: opLive},
		&deliverReq{Op: opLiveAbort},
	} {
		b, _ := wire.Marshal(v)
		out = append(out, b)
	}
	return out
}

// FuzzLiveHeader decodes arbitrary bytes as the request opening a live
// offer and checks it as the recipient does: no panic, and a header it
// takes is a file copy of a 16-byte ID, bounded size, in a shared
// workgroup, addressed from the peer on the stream.
func FuzzLiveHeader(f *testing.F) {
	for _, s := range liveHeaderSeeds() {
		f.Add(s)
	}
	s, other := liveChecker(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var req deliverReq
		if wire.Unmarshal(data, &req) != nil {
			return
		}
		env, werr := s.checkLive(other, req.Live)
		if werr != nil {
			if werr.Message == "" {
				t.Fatal("refusal without a message")
			}
			return
		}
		if len(env.ID) != idLen || env.Kind != KindFile || env.Size <= InlineMax || env.Size > maxPayload ||
			env.SenderID() != other || env.RecipientID() != s.self || env.Workgroup != testWG {
			t.Fatalf("accepted %+v", env)
		}
	})
}

// The recipient refuses malformed live headers with a clear reason.
func TestCheckLiveRefuses(t *testing.T) {
	s, other := liveChecker(t)
	id := bytes.Repeat([]byte{3}, idLen)
	for _, c := range []struct {
		name string
		h    *liveHeader
		want string
	}{
		{"no header", nil, "no header"},
		{"short ID", &liveHeader{ID: id[:3], Workgroup: testWG, Kind: KindFile, Max: 1 << 20}, "message ID is 3 bytes"},
		{"mail", &liveHeader{ID: id, Workgroup: testWG, Kind: KindMail, Max: 1 << 20}, "only file copies"},
		{"small", &liveHeader{ID: id, Workgroup: testWG, Kind: KindFile, Max: InlineMax}, "size bound"},
		{"huge", &liveHeader{ID: id, Workgroup: testWG, Kind: KindFile, Max: maxPayload + 1}, "size bound"},
		{"other workgroup", &liveHeader{ID: id, Workgroup: "wg-other", Kind: KindFile, Max: 1 << 20}, "not in workgroup"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, werr := s.checkLive(other, c.h)
			if werr == nil || !bytes.Contains([]byte(werr.Message), []byte(c.want)) {
				t.Fatalf("got %v, want an error containing %q", werr, c.want)
			}
		})
	}
	if _, werr := s.checkLive(other, &liveHeader{ID: id, Workgroup: testWG, Kind: KindFile, Max: 1 << 20}); werr != nil {
		t.Fatalf("a good header is refused: %v", werr)
	}
	stranger, _ := liveChecker(t)
	if _, werr := s.checkLive(stranger.self, &liveHeader{ID: id, Workgroup: testWG, Kind: KindFile, Max: 1 << 20}); werr == nil {
		t.Fatal("a live offer from a non-member is taken")
	}
}
