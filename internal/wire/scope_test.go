package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// scopedReader is a byte source with a real resource-manager stream
// scope, as a libp2p stream has.
type scopedReader struct {
	io.Reader
	scope network.StreamManagementScope
}

func (s scopedReader) Scope() network.StreamScope { return s.scope }

// newStreamScope opens an inbound stream scope in a real resource manager
// whose streams may hold at most streamMem bytes.
func newStreamScope(t *testing.T, streamMem int64) network.StreamManagementScope {
	t.Helper()
	return openStreamScope(t, newResourceManager(t, streamMem))
}

func newResourceManager(t testing.TB, streamMem int64) network.ResourceManager {
	t.Helper()
	limits := rcmgr.PartialLimitConfig{
		Stream: rcmgr.ResourceLimits{Memory: rcmgr.LimitVal64(streamMem)},
	}.Build(rcmgr.DefaultLimits.AutoScale())
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.Close() })
	return rm
}

func openStreamScope(t *testing.T, rm network.ResourceManager) network.StreamManagementScope {
	t.Helper()
	k, _, _ := crypto.GenerateEd25519Key(nil)
	p, _ := peer.IDFromPrivateKey(k)
	st, err := rm.OpenStream(p, network.DirInbound)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Done)
	return st
}

func frameOf(t *testing.T, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteFrame(&buf, sample{C: make([]byte, size)}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A frame body is reserved in the stream's scope while it is held, and
// a frame the scope cannot hold is refused before it is buffered.
func TestFrameMemoryReserved(t *testing.T) {
	const limit = 1 << 20
	tests := []struct {
		name    string
		size    int
		wantErr error
	}{
		{"small frame, no reservation", 100, nil},
		{"frame within the scope", limit / 4, nil},
		{"frame beyond the scope", 2 * limit, ErrNoMemory},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scope := newStreamScope(t, limit)
			r := NewReader(scopedReader{bytes.NewReader(frameOf(t, tc.size)), scope}, 4*limit)
			var v sample
			err := r.ReadFrame(&v)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadFrame: %v, want %v", err, tc.wantErr)
			}
			held := scope.Stat().Memory
			switch {
			case err != nil && held != 0:
				t.Fatalf("refused frame left %d bytes reserved", held)
			case err == nil && tc.size > readBuf && held < 2*int64(tc.size):
				t.Fatalf("held frame of %d bytes reserves %d, want the frame and its decoded value", tc.size, held)
			case err == nil && tc.size <= readBuf && held != 0:
				t.Fatalf("small frame reserves %d", held)
			}
			r.Release()
			if m := scope.Stat().Memory; m != 0 {
				t.Fatalf("after Release %d bytes still reserved", m)
			}
		})
	}
}

// Reading the next frame gives back the previous frame's reservation, so
// a long exchange holds at most one frame.
func TestFrameReservationMoves(t *testing.T) {
	scope := newStreamScope(t, 1<<20)
	in := append(frameOf(t, 300<<10), frameOf(t, 300<<10)...)
	r := NewReader(scopedReader{bytes.NewReader(in), scope}, 1<<20)
	for i := range 2 {
		var v sample
		if err := r.ReadFrame(&v); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if m := scope.Stat().Memory; m > 700<<10 {
		t.Fatalf("%d bytes reserved after two frames", m)
	}
}
