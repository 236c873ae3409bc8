package tunnel

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// FuzzMemberHeaders reads a request as the proxy of an http or printer
// service reads one from a member's tunnel (net/http's parser) and
// rewrites its headers as the proxy does: the target then sees exactly
// one header that is or may be read as one of HeaderPrefix's per name
// (CGI, WSGI and PHP read '_' as '-' and ignore case), and it carries
// the calling member's name and workgroup, whatever the client sent.
func FuzzMemberHeaders(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nPeerhood-Member: alice\r\npeerhood-workgroup: w\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nPeerhood_Member: alice\r\n\r\n",
		"POST /ipp HTTP/1.1\r\nHost: x\r\nPEERHOOD_WORKGROUP: w\r\nPeerhood-Other: 1\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nPeerhood-Member : alice\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nPeerhood-Member:\r\nPeerhood-Member: alice\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	m := workgroup.Member{Name: "bob", Workgroup: "wg1"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		h := req.Header.Clone()
		setMemberHeaders(h, m)
		for k, vs := range h {
			norm := strings.ToLower(strings.ReplaceAll(k, "_", "-"))
			if !strings.HasPrefix(norm, "peerhood-") {
				continue
			}
			switch {
			case k == HeaderMember && len(vs) == 1 && vs[0] == m.Name:
			case k == HeaderWorkgroup && len(vs) == 1 && vs[0] == m.Workgroup:
			default:
				t.Fatalf("the target would see %s: %q (request %q)", k, vs, raw)
			}
		}
		if h.Get(HeaderMember) != m.Name || h.Get(HeaderWorkgroup) != m.Workgroup {
			t.Fatalf("member headers %q %q", h.Get(HeaderMember), h.Get(HeaderWorkgroup))
		}
	})
}
