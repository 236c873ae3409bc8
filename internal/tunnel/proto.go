package tunnel

import (
	"errors"
	"fmt"

	"github.com/peerhood/peerhood/internal/wire"
)

// maxFrame bounds the request and reply frames of /peerhood/tunnel/1.
const maxFrame = 4 << 10

// Request opens a tunnel: the first frame of a stream, user to offering
// node. With Probe set the offering node checks access and dials the
// target once, replies, and closes the stream (no bytes are carried).
type Request struct {
	Service   string `cbor:"1,keyasint"`
	Workgroup string `cbor:"2,keyasint"`
	Probe     bool   `cbor:"3,keyasint,omitempty"`
}

// Reply answers a Request: OK and raw bytes follow in both directions,
// or Err and the stream ends.
type Reply struct {
	OK  bool        `cbor:"1,keyasint,omitempty"`
	Err *wire.Error `cbor:"2,keyasint,omitempty"`
}

// Error codes of a refused tunnel, beside wire's bad_request, not_found,
// forbidden and internal.
const (
	// CodeTargetDown: the offering node could not connect to the target.
	CodeTargetDown = "target_down"
	// CodeBusy: the member has too many open tunnels to this node.
	CodeBusy = "busy"
)

// DecodeRequest decodes and checks a request frame body.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if err := wire.Unmarshal(b, &r); err != nil {
		return Request{}, err
	}
	if r.Service == "" || len(r.Service) > 63 {
		return Request{}, fmt.Errorf("tunnel request: service name of %d bytes", len(r.Service))
	}
	if r.Workgroup == "" || len(r.Workgroup) > 128 {
		return Request{}, fmt.Errorf("tunnel request: workgroup of %d bytes", len(r.Workgroup))
	}
	return r, nil
}

// DecodeReply decodes and checks a reply frame body: exactly one of OK
// and Err.
func DecodeReply(b []byte) (Reply, error) {
	var r Reply
	if err := wire.Unmarshal(b, &r); err != nil {
		return Reply{}, err
	}
	if r.OK == (r.Err != nil) {
		return Reply{}, errors.New("tunnel reply: want exactly one of ok and error")
	}
	if r.Err != nil && (r.Err.Code == "" || len(r.Err.Code) > 64 || len(r.Err.Message) > 1024) {
		return Reply{}, errors.New("tunnel reply: malformed error")
	}
	return r, nil
}
