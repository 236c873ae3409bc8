package davfs

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// counted reads one counter of the vector.
func counted(t *testing.T, s *Server, method, code string) float64 {
	t.Helper()
	var m dto.Metric
	must(t, s.counter.requests.WithLabelValues(method, code).Write(&m))
	return m.GetCounter().GetValue()
}

// Every request is counted by method and status class, refusals of the
// front door (no token) included.
func TestRequestsCounted(t *testing.T) {
	t.Parallel()
	s, err := Listen("127.0.0.1:0", NewLocalBackend(testNode), testToken, nil)
	must(t, err)
	defer s.Close()
	for _, tc := range []struct {
		method string
		auth   bool
	}{{"PROPFIND", true}, {"PROPFIND", true}, {"GET", false}, {"BREW", true}} {
		req, _ := http.NewRequest(tc.method, s.URL(), nil)
		if tc.auth {
			req.SetBasicAuth(User, testToken)
		}
		req.Header.Set("Depth", "0")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
	}
	for _, tc := range []struct {
		method, code string
		want         float64
	}{{"PROPFIND", "2xx", 2}, {"GET", "4xx", 1}, {"OTHER", "4xx", 1}} {
		if got := counted(t, s, tc.method, tc.code); got != tc.want {
			t.Errorf("%s %s: %v requests counted, want %v", tc.method, tc.code, got, tc.want)
		}
	}
	if n := len(s.Collectors()); n != 1 {
		t.Errorf("%d collectors", n)
	}
}
