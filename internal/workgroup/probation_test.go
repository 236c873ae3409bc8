package workgroup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
)

// Issue 16 item 12: 40 strangers with fresh identities connect to a
// member and stall its hello (they read the ask and never answer), to
// hold every place on probation. A real member unknown to that node
// (it joined while the node was away) still gets in at its first dial
// and is admitted; a stalling stranger is dropped within its window.
func TestProbationFloodCannotLockOutMember(t *testing.T) {
	bravo, charlie, wg := joinedWhileAway(t)
	stop := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(stop) }) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var strangers []*p2p.Host
	for range 40 {
		x := newStranger(t)
		x.Handle(p2p.ProtoHello, func(st network.Stream) {
			buf := make([]byte, 512)
			_, _ = st.Read(buf)
			<-stop // never answers
			_ = st.Reset()
		})
		if err := x.Host.Connect(ctx, bravo.info()); err == nil {
			strangers = append(strangers, x)
		}
	}
	if len(strangers) == 0 {
		t.Fatal("no stranger got in at all")
	}
	if err := charlie.dial(bravo); err != nil {
		t.Fatalf("a real member was locked out by %d strangers: %v", len(strangers), err)
	}
	took := testutil.Eventually(t, 5*time.Second, func() error { return wantMembers(bravo, wg.ID, 3) })
	t.Logf("%d strangers connected; the member was admitted %s after its dial", len(strangers), took)
	if !bravo.connected(charlie) {
		t.Fatal("bravo dropped charlie")
	}
	last := strangers[len(strangers)-1]
	dropped := testutil.Eventually(t, probation+time.Second, func() error {
		if last.Network().Connectedness(bravo.host.ID()) == network.Connected {
			return errors.New("a stalling stranger still holds its place")
		}
		return nil
	})
	t.Logf("the last stalling stranger was dropped %s later", dropped)
}

// Issue 16 item 10: a stranger that connects to a member is asked for
// its certificate (hello), and that ask must not tell it which
// workgroups the member is in: the IDs travel blinded (HelloAsk.Tags).
func TestHelloAskHidesWorkgroups(t *testing.T) {
	alpha := newTNode(t, "alpha")
	office := mustCreate(t, alpha, "office")
	lab := mustCreate(t, alpha, "lab")
	x := newStranger(t)
	asks := make(chan []byte, 1)
	x.Handle(p2p.ProtoHello, func(st network.Stream) {
		b, _ := io.ReadAll(io.LimitReader(st, 4096))
		asks <- b
		_ = st.Reset()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := x.Host.Connect(ctx, alpha.info()); err != nil {
		t.Fatal(err)
	}
	var ask []byte
	select {
	case ask = <-asks:
	case <-ctx.Done():
		t.Fatal("alpha did not ask the stranger for its certificate")
	}
	for _, id := range []string{office.ID, lab.ID} {
		if bytes.Contains(ask, []byte(id)) {
			t.Errorf("the hello ask shows a stranger workgroup ID %s", id)
		}
	}
}
