package davfs

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// A member that cannot be reached is answered as the CLI answers it: 503
// with "laptop is offline (last seen 3 min ago); try again ...", after
// one short dial (share's Reach), never a libp2p dial dump. Here laptop's
// known address accepts TCP and then never speaks, the slowest way a
// dial fails: the files protocol's own dial would wait 10 s and then
// report the raw error.
func TestOfflineMemberAnsweredPlainly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	me := newShareNode(t, ctx)
	me.dir.Add(shareMember("me", me.host.ID()))
	k, _, err := crypto.GenerateEd25519Key(nil)
	must(t, err)
	laptop, err := peer.IDFromPrivateKey(k)
	must(t, err)
	me.dir.Add(shareMember("laptop", laptop))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	addr, err := ma.NewMultiaddr("/ip4/127.0.0.1/tcp/" + strings.TrimPrefix(l.Addr().String(), "127.0.0.1:"))
	must(t, err)
	me.host.Peerstore().AddAddr(laptop, addr, time.Hour)
	me.svc.SetSeen(func(string, peer.ID) (bool, time.Time) { return false, time.Now().Add(-3*time.Minute - time.Second) })

	b, err := NewShareBackend(me.svc, "me", t.TempDir())
	must(t, err)
	defer b.Close()
	e := &env{t: t, srv: httptest.NewServer(NewHandler(b, testToken, nil))}
	defer e.srv.Close()
	for _, tc := range []struct{ method, path string }{
		{"PROPFIND", "/laptop/"},
		{"GET", "/laptop/docs/notes.txt"},
		{"PUT", "/laptop/docs/new.txt"},
	} {
		start := time.Now()
		r := e.do(tc.method, tc.path, map[string]string{"Depth": "1"}, "body")
		t.Logf("%s %s: %d %q in %s", tc.method, tc.path, r.code, strings.TrimSpace(r.body), time.Since(start).Round(time.Millisecond))
		if r.code != 503 || !strings.Contains(r.body, "laptop is offline (last seen 3 min ago); try again when it is online") ||
			strings.Contains(r.body, "dial") {
			t.Errorf("%s %s = %d %q; want 503 saying laptop is offline", tc.method, tc.path, r.code, r.body)
		}
	}
}
