package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
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

// Reader reads frames from a stream. It buffers, so bytes that follow a
// frame (raw bulk data) must be read through the Reader too.
type Reader struct {
	br  *bufio.Reader
	max int
}

// NewReader returns a frame reader with the given maximum frame size
// (DefaultMaxFrame when max <= 0).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	if br, ok := r.(*bufio.Reader); ok {
		return &Reader{br: br, max: max}
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Read reads the next bytes of the underlying stream (for raw data that
// follows a frame).
func (r *Reader) Read(p []byte) (int, error) { return r.br.Read(p) }

// ReadFrameBytes reads one frame and returns its CBOR body.
func (r *Reader) ReadFrameBytes() ([]byte, error) {
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
	body := make([]byte, n)
	if _, err := io.ReadFull(r.br, body); err != nil {
		return nil, fmt.Errorf("wire: read frame body (%d bytes): %w", n, io.ErrUnexpectedEOF)
	}
	return body, nil
}

// ReadFrame reads one frame into v.
func (r *Reader) ReadFrame(v any) error {
	body, err := r.ReadFrameBytes()
	if err != nil {
		return err
	}
	return Unmarshal(body, v)
}
