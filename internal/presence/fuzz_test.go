package presence

import (
	"reflect"
	"testing"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/peerhood/peerhood/internal/wire"
)

// FuzzDecode feeds arbitrary bytes to the presence decoder: it returns a
// valid message or an error, never panics, and a decoded message
// re-encodes to one that decodes the same.
func FuzzDecode(f *testing.F) {
	seed, _ := wire.Marshal(message{Workgroup: "wg", State: Away, Text: "lunch", Seq: 7, IntervalMS: 2000})
	f.Add(seed)
	f.Add([]byte{0xa1, 0x02, 0x66, 'o', 'n', 'l', 'i', 'n', 'e'})
	f.Add([]byte{})
	gone, _ := wire.Marshal(message{Workgroup: "wg", State: Online, Seq: 8, IntervalMS: 20000, Gone: []goneEntry{{Peer: []byte("\x00\x04abcd"), Seq: 7}}})
	f.Add(gone)
	addrs, _ := wire.Marshal(message{Workgroup: "wg", State: Online, Seq: 9, IntervalMS: 2000, Addrs: [][]byte{ma.StringCast("/ip4/192.0.2.1/udp/4001/quic-v1").Bytes()}})
	f.Add(addrs)
	reached, _ := wire.Marshal(message{Workgroup: "wg", State: Online, Seq: 10, IntervalMS: 10000, Reached: true})
	f.Add(reached)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decode(data)
		if err != nil {
			return
		}
		if !ValidState(m.State) || len(m.Text) > MaxText || m.Workgroup == "" || len(m.Addrs) > maxAddrs || len(m.addrs()) != len(m.Addrs) {
			t.Fatalf("decode accepted an invalid message %+v", m)
		}
		b, err := wire.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := decode(b)
		if err != nil || !reflect.DeepEqual(m2, m) {
			t.Fatalf("unstable round trip %+v vs %+v (%v)", m, m2, err)
		}
	})
}
