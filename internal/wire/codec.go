package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
	"github.com/libp2p/go-libp2p/core/network"
)

// DefaultMaxFrame is the largest frame a reader accepts unless told otherwise.
const DefaultMaxFrame = 1 << 20

// ErrFrameTooLarge is returned when a frame announces more bytes than allowed.
var ErrFrameTooLarge = errors.New("wire: frame too large")

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  16,
		MaxArrayElements: 1 << 20,
		MaxMapPairs:      1 << 16,
		TagsMd:           cbor.TagsForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Marshal encodes v as deterministic CBOR. Signatures are computed over
// these bytes, so two nodes always produce the same encoding of a value.
func Marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("wire: encode %T: %w", v, err)
	}
	return b, nil
}

// Unmarshal decodes one CBOR item from b into v. Trailing bytes are an error.
func Unmarshal(b []byte, v any) error {
	if err := decMode.Unmarshal(b, v); err != nil {
		return fmt.Errorf("wire: decode %T: %w", v, err)
	}
	return nil
}

// WriteFrame writes v as one frame.
func WriteFrame(w io.Writer, v any) error {
	body, err := Marshal(v)
	if err != nil {
		return err
	}
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(body)))
	buf := make([]byte, 0, n+len(body))
	buf = append(buf, hdr[:n]...)
	buf = append(buf, body...)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("wire: write frame: %w", err)
	}
	return nil
}

// readBuf is the Reader's buffer. It is small on purpose: a node holds
// one per open stream, and a read larger than the buffer (a frame body,
// bulk data) bypasses it.
const readBuf = 4 << 10

// Scoped is what a libp2p stream offers (network.Stream.Scope): a
// Reader over one reserves each frame's memory in the stream's resource
// scope before buffering it.
type Scoped interface {
	Scope() network.StreamScope
}

// Reader reads frames from a stream. It buffers, so bytes that follow a
// frame (raw bulk data) must be read through the Reader too.
//
// Over a libp2p stream (see Scoped) every frame body is reserved in the
// stream's resource scope before it is allocated (twice over when
// ReadFrame decodes it), so the resource
// manager counts it against the stream, its protocol, its peer and the
// whole node, and refuses it (ErrNoMemory) when one of them is full. The
// reservation is held until the next frame is read or Release is
// called; closing or resetting the stream releases it too.
type Reader struct {
	br    *bufio.Reader
	max   int
	scope network.ResourceScope
	held  int
}

// ErrNoMemory is returned when the resource manager refuses the memory
// a frame needs (the peer, its protocol or the node is over its limit).
var ErrNoMemory = errors.New("wire: no memory for frame")

// NewReader returns a frame reader with the given maximum frame size
// (DefaultMaxFrame when max <= 0).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	rd := &Reader{max: max}
	if s, ok := r.(Scoped); ok {
		rd.scope = s.Scope()
	}
	if br, ok := r.(*bufio.Reader); ok {
		rd.br = br
	} else {
		rd.br = bufio.NewReaderSize(r, readBuf)
	}
	return rd
}

// SetMax changes the largest frame the following reads accept, for a
// protocol whose frames differ in size (a small request, then a larger
// body). max <= 0 means DefaultMaxFrame.
func (r *Reader) SetMax(max int) {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	r.max = max
}

// Read reads the next bytes of the underlying stream (for raw data that
// follows a frame).
func (r *Reader) Read(p []byte) (int, error) { return r.br.Read(p) }

// Release gives back the memory reserved for the last frame. The frame's
// bytes must not be used afterwards for anything the caller keeps long.
func (r *Reader) Release() {
	if r.scope != nil && r.held > 0 {
		r.scope.ReleaseMemory(r.held)
	}
	r.held = 0
}

// ReadFrameBytes reads one frame and returns its CBOR body.
func (r *Reader) ReadFrameBytes() ([]byte, error) { return r.readFrame(1) }

// ReadFrame reads one frame into v. It reserves twice the frame's size:
// the frame, and the value decoded from it, which is about as large.
func (r *Reader) ReadFrame(v any) error {
	body, err := r.readFrame(2)
	if err != nil {
		return err
	}
	return Unmarshal(body, v)
}

// readFrame reads one frame body, reserving factor times its size.
func (r *Reader) readFrame(factor int) ([]byte, error) {
	r.Release()
	n, err := binary.ReadUvarint(r.br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("wire: read frame length: %w", err)
	}
	if n > uint64(r.max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, r.max)
	}
	// A frame the size of the read buffer is not worth a reservation.
	if r.scope != nil && int(n) > readBuf {
		size := factor * int(n)
		if err := r.scope.ReserveMemory(size, network.ReservationPriorityHigh); err != nil {
			return nil, fmt.Errorf("%w (%d bytes): %w", ErrNoMemory, size, err)
		}
		r.held = size
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r.br, body); err != nil {
		r.Release()
		return nil, fmt.Errorf("wire: read frame body (%d bytes): %w", n, io.ErrUnexpectedEOF)
	}
	return body, nil
}
