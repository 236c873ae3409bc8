package tunnel

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
)

// The service and forward endpoints through the real mux, in order,
// with the statuses and messages the CLI shows.
func TestEndpoints(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	tg := newTarget(t, echo)
	srvA, srvB := api.NewServer(nil, nil), api.NewServer(nil, nil)
	alpha.svc.Routes(srvA)
	bravo.svc.Routes(srvB)
	call := func(s *api.Server, method, path string, body any) (int, string) {
		var b bytes.Buffer
		if body != nil {
			json.NewEncoder(&b).Encode(body)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(method, path, &b))
		var c bytes.Buffer
		if json.Compact(&c, rec.Body.Bytes()) != nil {
			return rec.Code, rec.Body.String()
		}
		return rec.Code, c.String()
	}
	tests := []struct {
		name   string
		srv    *api.Server
		method string
		path   string
		body   any
		want   int
		has    string // in the reply
	}{
		{"add, nobody by default", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "echo", Target: tg.addr()}, 200, `"rules":[]`},
		{"duplicate", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "ECHO", Target: tg.addr()}, 409, "already exists"},
		{"remote target refused", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "lan", Target: "192.0.2.1:22"}, 400, "--allow-remote-target"},
		{"remote target allowed", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "lan", Target: "192.0.2.1:22", AllowRemoteTarget: true, Allow: []string{"*"}}, 200, `"remote_target":true`},
		{"bad kind", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "x", Target: tg.addr(), Kind: "udp"}, 400, "kind"},
		{"bad rule", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "x", Target: tg.addr(), Allow: []string{"bob=rw"}}, 400, "use or none"},
		{"bad name", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "no space", Target: tg.addr()}, 400, "service name"},
		{"forward refused (nobody)", srvB, "POST", "/v1/forwards", apitypes.ForwardRequest{Member: "alpha", Service: "echo"}, 403, "bravo may not use it"},
		{"set empty", srvA, "PUT", "/v1/services/echo/access", apitypes.ServiceSetRequest{}, 400, "at least one"},
		{"set", srvA, "PUT", "/v1/services/echo/access", apitypes.ServiceSetRequest{Allow: []string{"bravo"}}, 200, `"who":"bravo","right":"use"`},
		{"add, a non-member refused", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "web", Target: tg.addr(), Allow: []string{"bobb"}}, 400, `bobb: no such member in workgroup`},
		{"add, a non-member kept with --force", srvA, "POST", "/v1/services", apitypes.ServiceAddRequest{Name: "web", Target: tg.addr(), Allow: []string{"bobb", "bravo"}, Force: true}, 200, `"warnings":["bobb: no such member in workgroup`},
		{"set, a non-member refused", srvA, "PUT", "/v1/services/echo/access", apitypes.ServiceSetRequest{Allow: []string{"bravo", "carl=none"}}, 400, `carl: no such member`},
		{"set, a non-member kept with --force", srvA, "PUT", "/v1/services/echo/access", apitypes.ServiceSetRequest{Allow: []string{"bravo", "carl=none"}, Force: true}, 200, `"warnings":["carl: no such member`},
		{"set, members only: no warning", srvA, "PUT", "/v1/services/web/access", apitypes.ServiceSetRequest{Allow: []string{"bravo", "group:ops", "*=none"}}, 200, `"who":"bravo"`},
		{"set unknown", srvA, "PUT", "/v1/services/nosuch/access", apitypes.ServiceSetRequest{Allow: []string{"*"}}, 404, "no such service"},
		{"list of alpha on bravo", srvB, "GET", "/v1/services/of/alpha", nil, 200, `"name":"echo"`},
		{"list of a stranger", srvB, "GET", "/v1/services/of/carol", nil, 404, "no member"},
		{"forward", srvB, "POST", "/v1/forwards", apitypes.ForwardRequest{Member: "alpha", Service: "echo", Local: "127.0.0.1:0"}, 200, `"listening":true`},
		{"forward off loopback", srvB, "POST", "/v1/forwards", apitypes.ForwardRequest{Member: "alpha", Service: "echo", Local: "0.0.0.0:0"}, 400, "loopback only"},
		{"forward to self", srvB, "POST", "/v1/forwards", apitypes.ForwardRequest{Member: "bravo", Service: "echo"}, 404, "this node"},
		{"forward unknown service", srvB, "POST", "/v1/forwards", apitypes.ForwardRequest{Member: "alpha", Service: "nosuch"}, 404, `no service \"nosuch\"`},
		{"forwards", srvB, "GET", "/v1/forwards", nil, 200, `"member":"alpha","service":"echo"`},
		{"services with counters", srvA, "GET", "/v1/services", nil, 200, `"stats":{"active":0`},
		{"rm forward", srvB, "DELETE", "/v1/forwards?what=alpha:echo", nil, 200, `"service":"echo"`},
		{"rm forward again", srvB, "DELETE", "/v1/forwards?what=alpha:echo", nil, 404, "no such forward"},
		{"rm service", srvA, "DELETE", "/v1/services/echo", nil, 200, ""},
		{"rm service again", srvA, "DELETE", "/v1/services/echo", nil, 404, "no such service"},
	}
	for _, tc := range tests {
		code, body := call(tc.srv, tc.method, tc.path, tc.body)
		if code != tc.want || !strings.Contains(body, tc.has) {
			t.Fatalf("%s: %d %s, want %d with %q", tc.name, code, body, tc.want, tc.has)
		}
		if strings.HasSuffix(tc.name, "no warning") && strings.Contains(body, "warnings") {
			t.Fatalf("%s: %s", tc.name, body)
		}
	}
}
