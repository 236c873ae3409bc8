package daemon

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/davfs"
	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/spool"
	"github.com/peerhood/peerhood/internal/tunnel"
	"github.com/peerhood/peerhood/internal/webui"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Every reply type of apitypes encodes like the service type it mirrors:
// the same JSON schema (field names and kinds, all the way down) and the
// same JSON for the zero value (which catches omitempty and omitzero).
// A field added to a service type without its mirror fails here.
func TestMirrorsEncodeAlike(t *testing.T) {
	tests := []struct {
		service, mirror any
	}{
		{workgroup.Info{}, apitypes.Workgroup{}},
		{workgroup.Member{}, apitypes.Member{}},
		{workgroup.JoinResult{}, apitypes.JoinResult{}},
		{presence.Status{}, apitypes.PresenceStatus{}},
		{discovery.Entry{}, apitypes.BrowseEntry{}},
		{share.Config{}, apitypes.ShareConfig{}},
		{share.Rule{}, apitypes.Rule{}},
		{share.ShareInfo{}, apitypes.ShareInfo{}},
		{share.Entry{}, apitypes.FileEntry{}},
		{share.LsResult{}, apitypes.LsResult{}},
		{share.Result{}, apitypes.TransferResult{}},
		{share.TransferEvent{}, apitypes.TransferEvent{}},
		{davfs.MountInfo{}, apitypes.MountInfo{}},
		{spool.Job{}, apitypes.Job{}},
		{spool.Item{}, apitypes.Item{}},
		{spool.FileEntry{}, apitypes.ItemFile{}},
		{spool.AcceptResult{}, apitypes.AcceptResult{}},
		{tunnel.Config{}, apitypes.ServiceConfig{}},
		{chat.Room{}, apitypes.Room{}},
		{chat.Unread{}, apitypes.ChatUnread{}},
		{chat.RoomMember{}, apitypes.RoomMember{}},
		{chat.SaveResult{}, apitypes.ChatSaveResult{}},
		{tunnel.Stats{}, apitypes.TunnelStats{}},
		{tunnel.Forward{}, apitypes.Forward{}},
		{tunnel.ServiceInfo{}, apitypes.ServiceInfo{}},
		{webui.Login{}, apitypes.UILogin{}},
		{tunnel.Printer{}, apitypes.Printer{}},
		{tunnel.PrinterList{}, apitypes.PrinterList{}},
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

// expandedSchema is t's JSON schema with every reference replaced by
// the schema it names, so that types of different names compare.
func expandedSchema(t reflect.Type) any {
	root, named := api.Schema(t)
	var expand func(v any, depth int) any
	expand = func(v any, depth int) any {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && depth < 8 {
				return expand(named[strings.TrimPrefix(ref, "#/components/schemas/")], depth+1)
			}
			out := map[string]any{}
			for k, e := range x {
				out[k] = expand(e, depth)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = expand(e, depth)
			}
			return out
		}
		return v
	}
	return expand(root, 0)
}
