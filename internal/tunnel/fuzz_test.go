package tunnel

import (
	"testing"

	"github.com/peerhood/peerhood/internal/wire"
)

// The frame decoders never panic, and what they accept encodes back to a
// frame they accept again.
func FuzzDecodeRequest(f *testing.F) {
	for _, r := range []Request{{Service: "ssh", Workgroup: testWG}, {Service: "printer", Workgroup: testWG, Probe: true}, {Workgroup: testWG, List: true}} {
		b, _ := wire.Marshal(r)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		again, _ := wire.Marshal(r)
		if r2, err := DecodeRequest(again); err != nil || r2 != r {
			t.Fatalf("%+v re-decodes as %+v, %v", r, r2, err)
		}
	})
}

func FuzzDecodeReply(f *testing.F) {
	for _, r := range []Reply{{OK: true}, {Err: &wire.Error{Code: CodeTargetDown, Message: "down"}},
		{OK: true, Services: []ServiceInfo{{Name: "ssh", Kind: KindTCP, Workgroup: testWG, Right: RightUse}}}} {
		b, _ := wire.Marshal(r)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReply(b)
		if err != nil {
			return
		}
		if r.OK == (r.Err != nil) {
			t.Fatalf("accepted %+v", r)
		}
		again, _ := wire.Marshal(r)
		if _, err := DecodeReply(again); err != nil {
			t.Fatalf("%+v does not re-decode: %v", r, err)
		}
	})
}
