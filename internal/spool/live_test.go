package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/wire"
)

// sendBig copies size random bytes from alice to bob and returns the job
// and the bytes.
func sendBig(t *testing.T, alice *tnode, size int) (Job, []byte) {
	t.Helper()
	big := make([]byte, size)
	rand.Read(big)
	p := writeFile(t, t.TempDir(), "big.bin", big)
	jobs, err := alice.svc.Send(context.Background(), SendRequest{To: []string{"bob"}, Kind: KindFile, Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	return jobs[0], big
}

// acceptOnce checks bob holds exactly one copy and that it is big.
func acceptOnce(t *testing.T, bob *tnode, big []byte) {
	t.Helper()
	ctx := context.Background()
	fl, _ := bob.svc.Inbox(ctx, KindFile, false)
	if len(fl) != 1 {
		t.Fatalf("bob's inbox holds %d copies, want 1: %+v", len(fl), fl)
	}
	dest := t.TempDir()
	if _, err := bob.svc.Accept(ctx, fl[0].ID, dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "big.bin")); !bytes.Equal(got, big) {
		t.Fatal("the copy differs after delivery")
	}
	left, _ := filepath.Glob(filepath.Join(bob.home, "spool", "partial", "*"))
	if len(left) != 0 {
		t.Fatalf("bob keeps partial files: %v", left)
	}
}

// A large copy to a connected member goes live (sent while sealed), is
// delivered once and staged, and nothing is left in either spool.
func TestLiveOfferDelivers(t *testing.T) {
	t.Parallel()
	needLive(t)
	alice, bob := connectedPair(t)
	j, big := sendBig(t, alice, 3<<20+5)
	waitState(t, alice, j.ID, StateDelivered)
	// The live offer counts itself settled just after settling the job
	// (live_send.go): the job may be seen delivered a moment before.
	testutil.Eventually(t, 5*time.Second, func() error {
		if n := alice.svc.liveDone.Load(); n != 1 {
			return fmt.Errorf("%d live offers settled, want 1", n)
		}
		return nil
	})
	acceptOnce(t, bob, big)
	for _, n := range []*tnode{alice, bob} {
		left, _ := filepath.Glob(filepath.Join(n.home, "spool", "[0-9a-f]*"))
		if len(left) != 0 {
			t.Fatalf("%s keeps spool files: %v", n.name, left)
		}
	}
}

// A recipient from before live offers answers "unknown op": the copy is
// offered the old way once it is queued.
func TestLiveOfferToOldNode(t *testing.T) {
	t.Parallel()
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	bob.mutate = func(c *Config) { c.noLiveServe = true }
	alice.start()
	bob.start()
	connect(t, alice, bob)
	j, big := sendBig(t, alice, 1<<20)
	waitState(t, alice, j.ID, StateDelivered)
	if n := alice.svc.liveDone.Load(); n != 0 {
		t.Fatalf("%d live offers settled by a node that has none", n)
	}
	acceptOnce(t, bob, big)
}

// The recipient vanishes after the ciphertext arrived and before the
// envelope: the job stays queued, is offered again, resumes from the
// partial file the live offer left (nothing sent twice) and is stored
// once.
func TestLiveOfferBrokenThenResumed(t *testing.T) {
	t.Parallel()
	needLive(t)
	alice, bob := newTNode(t, "alice"), newTNode(t, "bob")
	group(alice, bob)
	broke := make(chan int64, 1)
	bob.mutate = func(c *Config) {
		c.liveReceived = func(key string) error {
			fi, _ := os.Stat(filepath.Join(bob.home, "spool", "partial", key))
			broke <- fi.Size()
			return errors.New("test: the recipient vanishes")
		}
	}
	alice.start()
	bob.start()
	connect(t, alice, bob)
	j, big := sendBig(t, alice, 2<<20)
	var held int64
	select {
	case held = <-broke:
	case <-time.After(15 * time.Second):
		t.Fatal("no live offer reached bob")
	}
	if held < 2<<20 {
		t.Fatalf("the partial file holds %d bytes", held)
	}
	waitState(t, alice, j.ID, StateDelivered)
	if n := alice.svc.liveDone.Load(); n != 0 {
		t.Fatalf("%d live offers settled, want 0 (the offer broke)", n)
	}
	acceptOnce(t, bob, big)
}

// A seal that fails (the file shrinks while sealed) queues nothing, and
// the recipient drops what the live offer sent.
func TestLiveOfferSealFails(t *testing.T) {
	t.Parallel()
	needLive(t)
	alice, bob := connectedPair(t)
	p := writeFile(t, t.TempDir(), "f.bin", make([]byte, 1<<20))
	files, err := collectFiles([]string{p}, false)
	if err != nil {
		t.Fatal(err)
	}
	files[0].entry.Size = 2 << 20 // more than the file holds
	hdr := PayloadHeader{Kind: KindFile, Files: []FileEntry{files[0].entry}}
	live, err := alice.svc.maybeLive(bob.id.PeerID, testWG, hdr, files[0].entry.Size)
	if err != nil || live == nil {
		t.Fatalf("no live offer: %v", err)
	}
	if _, err := alice.svc.seal(testWG, bob.member(), hdr, files, "f", live); err == nil {
		t.Fatal("the seal of a shrunk file succeeded")
	}
	live.told(nil)
	alice.svc.bg.Wait()
	eventuallyEmpty(t, filepath.Join(bob.home, "spool", "partial"))
	if fl, _ := bob.svc.Inbox(context.Background(), KindFile, false); len(fl) != 0 {
		t.Fatalf("bob holds %+v", fl)
	}
	if q, _ := alice.svc.Queue(context.Background()); len(q) != 0 {
		t.Fatalf("alice queued %+v", q)
	}
}

// needLive skips where live offers are off (Windows: startLive).
func needLive(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no live offers on Windows")
	}
}

func eventuallyEmpty(t *testing.T, dir string) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() error {
		left, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(left) != 0 {
			return fmt.Errorf("%s holds %v", dir, left)
		}
		return nil
	})
}

// rawLive plays a sender's side of a live offer by hand: the header for
// env's ID, ct in segments, then end (a seal or abort frame). It returns
// the recipient's last reply, or the error reading it.
func rawLive(t *testing.T, alice, bob *tnode, env *Envelope, ct []byte, end *deliverReq) (deliverReply, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := alice.host.NewStream(ctx, bob.id.PeerID, p2p.ProtoDeliver)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := wire.NewReader(st, maxControlFrame)
	rep, err := ask[deliverReply](st, r, &deliverReq{Op: opLive, Live: &liveHeader{ID: env.ID, Workgroup: env.Workgroup, Kind: KindFile, Max: env.Size + 1000}})
	if err != nil || rep.Err != nil {
		t.Fatalf("live header: %v %v", err, rep.Err)
	}
	if _, err := st.Write(segments(ct[:len(ct)/3], ct[len(ct)/3:])); err != nil {
		t.Fatal(err)
	}
	if err := wire.WriteFrame(st, end); err != nil {
		t.Fatal(err)
	}
	_ = st.CloseWrite() // the recipient ends the stream after its reply
	rep = deliverReply{}
	err = r.ReadFrame(&rep)
	return rep, err
}

// sealedFor seals a 1 MiB copy from alice to bob without queueing it and
// returns its envelope, the envelope's bytes and the ciphertext.
func sealedFor(t *testing.T, alice, bob *tnode) (*Envelope, []byte, []byte) {
	t.Helper()
	p := writeFile(t, t.TempDir(), "f.bin", make([]byte, 1<<20))
	files, err := collectFiles([]string{p}, false)
	if err != nil {
		t.Fatal(err)
	}
	hdr := PayloadHeader{Kind: KindFile, Files: []FileEntry{files[0].entry}}
	sj, err := alice.svc.seal(testWG, bob.member(), hdr, files, "f", nil)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := DecodeEnvelope(sj.envelope)
	ct, err := os.ReadFile(alice.svc.spool.path(sj.hash))
	if err != nil {
		t.Fatal(err)
	}
	return env, sj.envelope, ct
}

// The recipient of a live offer stores nothing and signs nothing it
// should not: bytes that do not match the signed hash get a signed
// rejection, an envelope that is not what was announced a plain error, a
// forged one a reset, an abort nothing; no partial file stays.
func TestLiveOfferEndChecks(t *testing.T) {
	t.Parallel()
	alice, bob := connectedPair(t)
	resign := func(env *Envelope, f func(*Envelope)) []byte {
		e := *env
		f(&e)
		if err := e.Sign(alice.id.Key); err != nil {
			t.Fatal(err)
		}
		b, _ := e.Encode()
		return b
	}
	cases := []struct {
		name  string
		flip  bool
		end   func(env *Envelope, eb []byte) *deliverReq
		check func(t *testing.T, rep deliverReply, err error)
	}{
		{"tampered bytes", true, func(_ *Envelope, eb []byte) *deliverReq { return &deliverReq{Op: opLiveSeal, Envelope: eb} },
			func(t *testing.T, rep deliverReply, err error) {
				rec, rerr := DecodeReceipt(rep.Receipt)
				if err != nil || rerr != nil || rec.Status != StatusRejected || !bytes.Contains([]byte(rec.Reason), []byte("does not match the signed SHA-256")) {
					t.Fatalf("reply %+v (%v), receipt %+v (%v)", rep, err, rec, rerr)
				}
			}},
		{"other ID", false, func(env *Envelope, _ []byte) *deliverReq {
			return &deliverReq{Op: opLiveSeal, Envelope: resign(env, func(e *Envelope) { e.ID = bytes.Repeat([]byte{9}, idLen) })}
		}, func(t *testing.T, rep deliverReply, err error) {
			if err != nil || rep.Err == nil || !bytes.Contains([]byte(rep.Err.Message), []byte("not what was announced")) || rep.Receipt != nil {
				t.Fatalf("reply %+v, %v", rep, err)
			}
		}},
		{"other size", false, func(env *Envelope, _ []byte) *deliverReq {
			return &deliverReq{Op: opLiveSeal, Envelope: resign(env, func(e *Envelope) { e.Size++ })}
		}, func(t *testing.T, rep deliverReply, err error) {
			if err != nil || rep.Err == nil || rep.Receipt != nil {
				t.Fatalf("reply %+v, %v", rep, err)
			}
		}},
		{"forged", false, func(env *Envelope, _ []byte) *deliverReq {
			e := *env
			e.Sig = bytes.Clone(e.Sig)
			e.Sig[3] ^= 1
			b, _ := e.Encode()
			return &deliverReq{Op: opLiveSeal, Envelope: b}
		}, func(t *testing.T, rep deliverReply, err error) {
			if err == nil {
				t.Fatalf("a forged envelope got a reply: %+v", rep)
			}
		}},
		{"abort", false, func(*Envelope, []byte) *deliverReq { return &deliverReq{Op: opLiveAbort} },
			func(t *testing.T, rep deliverReply, err error) {
				if err == nil {
					t.Fatalf("an abort got a reply: %+v", rep)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, eb, ct := sealedFor(t, alice, bob)
			if c.flip {
				ct[len(ct)/2] ^= 1
			}
			rep, err := rawLive(t, alice, bob, env, ct, c.end(env, eb))
			c.check(t, rep, err)
			eventuallyEmpty(t, filepath.Join(bob.home, "spool", "partial"))
			if bob.svc.holds(context.Background(), env) {
				t.Fatal("bob stored the message")
			}
		})
	}
	// The same, untouched, is taken.
	env, eb, ct := sealedFor(t, alice, bob)
	rep, err := rawLive(t, alice, bob, env, ct, &deliverReq{Op: opLiveSeal, Envelope: eb})
	if rec, rerr := DecodeReceipt(rep.Receipt); err != nil || rerr != nil || rec.Status != StatusAccepted {
		t.Fatalf("good live offer: %+v %v %v", rep, err, rerr)
	}
	// Offered live again, it is refused as held (the sender then offers
	// it the ordinary way and gets the stored receipt); busy until the
	// first stream lets go of it.
	testutil.Eventually(t, 10*time.Second, func() error {
		st, err := alice.host.NewStream(context.Background(), bob.id.PeerID, p2p.ProtoDeliver)
		if err != nil {
			return err
		}
		defer st.Close()
		again, err := ask[deliverReply](st, wire.NewReader(st, maxControlFrame),
			&deliverReq{Op: opLive, Live: &liveHeader{ID: env.ID, Workgroup: env.Workgroup, Kind: KindFile, Max: env.Size}})
		if err != nil || again.Err == nil || again.Err.Code != codeHeld {
			return fmt.Errorf("live offer of a held message: %+v %v", again, err)
		}
		return nil
	})
}

// The recipient of a live offer holds all the bytes but stores nothing,
// and signs nothing, until the sender's job is durable: only then does
// the envelope go.
func TestLiveOfferWaitsForCommit(t *testing.T) {
	t.Parallel()
	needLive(t)
	alice, bob := connectedPair(t)
	ctx := context.Background()
	big := make([]byte, 1<<20)
	rand.Read(big)
	p := writeFile(t, t.TempDir(), "big.bin", big)
	files, err := collectFiles([]string{p}, false)
	if err != nil {
		t.Fatal(err)
	}
	hdr := PayloadHeader{Kind: KindFile, Files: []FileEntry{files[0].entry}}
	live, err := alice.svc.maybeLive(bob.id.PeerID, testWG, hdr, files[0].entry.Size)
	if err != nil || live == nil {
		t.Fatalf("no live offer: %v", err)
	}
	sj, err := alice.svc.seal(testWG, bob.member(), hdr, files, "big.bin", live)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if n := partialBytesOf(bob); n != int64(sj.job.Size) {
			return fmt.Errorf("bob holds %d of %d bytes", n, sj.job.Size)
		}
		return nil
	})
	env, _ := DecodeEnvelope(sj.envelope)
	for i := 0; i < 5; i++ {
		if bob.svc.holds(ctx, env) {
			t.Fatal("bob stored the message before the sender queued it")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := alice.svc.commitJobs(ctx, []sealedJob{sj}); err != nil {
		t.Fatal(err)
	}
	live.told(sj.due(bob.id.PeerID, testWG))
	waitState(t, alice, sj.job.ID, StateDelivered)
	acceptOnce(t, bob, big)
}

func partialBytesOf(n *tnode) int64 {
	var sum int64
	ents, _ := filepath.Glob(filepath.Join(n.home, "spool", "partial", "*"))
	for _, e := range ents {
		if fi, err := os.Stat(e); err == nil {
			sum += fi.Size()
		}
	}
	return sum
}
