package daemon

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/tunnel"
)

// The tunnel reply types encode like their mirrors (see
// TestMirrorsEncodeAlike).
func TestTunnelMirrorsEncodeAlike(t *testing.T) {
	tests := []struct{ service, mirror any }{
		{tunnel.Config{}, apitypes.ServiceConfig{}},
		{tunnel.Stats{}, apitypes.TunnelStats{}},
		{tunnel.Forward{}, apitypes.Forward{}},
		{tunnel.ServiceInfo{}, apitypes.ServiceInfo{}},
	}
	for _, tc := range tests {
		st, mt := reflect.TypeOf(tc.service), reflect.TypeOf(tc.mirror)
		t.Run(st.String(), func(t *testing.T) {
			if s, m := expandedSchema(st), expandedSchema(mt); !reflect.DeepEqual(s, m) {
				sj, _ := json.Marshal(s)
				mj, _ := json.Marshal(m)
				t.Fatalf("%s and %s differ:\n%s\n%s", st, mt, sj, mj)
			}
			sj, _ := json.Marshal(tc.service)
			mj, _ := json.Marshal(tc.mirror)
			if string(sj) != string(mj) {
				t.Fatalf("zero %s encodes as %s, zero %s as %s", st, sj, mt, mj)
			}
		})
	}
}
