package tunnel

import (
	"errors"
	"fmt"

	"github.com/peerhood/peerhood/internal/wire"
)

// maxFrame bounds a request frame of /peerhood/tunnel/1, maxReply a
// reply frame (a service list), maxList the services listed.
const (
	maxFrame = 4 << 10
	maxReply = 256 << 10
	maxList  = 1024
	maxPath  = 256
)

// Request opens a tunnel: the first frame of a stream, user to offering
// node. With Probe set the offering node checks access and dials the
// target once, replies, and closes the stream (no bytes are carried).
// With List set (and no Service) it replies with the services of
// Workgroup the caller may use, and closes the stream.
type Request struct {
	Service   string `cbor:"1,keyasint,omitempty"`
	Workgroup string `cbor:"2,keyasint"`
	Probe     bool   `cbor:"3,keyasint,omitempty"`
	List      bool   `cbor:"4,keyasint,omitempty"`
}

// Reply answers a Request: OK and raw bytes follow in both directions
// (or, for List, OK with Services), or Err and the stream ends.
type Reply struct {
	OK       bool          `cbor:"1,keyasint,omitempty"`
	Err      *wire.Error   `cbor:"2,keyasint,omitempty"`
	Services []ServiceInfo `cbor:"3,keyasint,omitempty"`
}

// ServiceInfo is a service a member offers, as another member sees it.
type ServiceInfo struct {
	Name      string `json:"name" cbor:"1,keyasint"`
	Kind      string `json:"kind" cbor:"2,keyasint"`
	Workgroup string `json:"workgroup" cbor:"3,keyasint"`
	Right     string `json:"right" cbor:"4,keyasint"`                    // use (only usable services are listed)
	Path      string `json:"path,omitempty" cbor:"5,keyasint,omitempty"` // printer: IPP resource path
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
	if r.List != (r.Service == "") || len(r.Service) > 63 || (r.List && r.Probe) {
		return Request{}, fmt.Errorf("tunnel request: want a service name (%d bytes) or list", len(r.Service))
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
	if r.Err != nil && (r.Err.Code == "" || len(r.Err.Code) > 64 || len(r.Err.Message) > 1024 || r.Services != nil) {
		return Reply{}, errors.New("tunnel reply: malformed error")
	}
	if len(r.Services) > maxList {
		return Reply{}, fmt.Errorf("tunnel reply: %d services, at most %d", len(r.Services), maxList)
	}
	for _, si := range r.Services {
		if ValidateServiceName(si.Name) != nil || len(si.Kind) > 16 || len(si.Workgroup) > 128 || len(si.Right) > 8 || len(si.Path) > maxPath {
			return Reply{}, errors.New("tunnel reply: malformed service")
		}
	}
	return r, nil
}
