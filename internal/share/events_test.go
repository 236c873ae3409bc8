package share

import (
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/events"
)

func TestShareChangeEvents(t *testing.T) {
	e := newEnv(t)
	bus := events.New(events.Options{})
	defer bus.Close()
	sub := bus.Subscribe(events.Filter{})
	e.svc.SetEvents(bus)
	cs := e.svc.Configs()
	if _, err := cs.Add(e.ctx, Config{Name: "pics", Workgroup: testWG, Path: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := cs.SetRules(e.ctx, "pics", []Rule{{"*", "r"}}); err != nil {
		t.Fatal(err)
	}
	if err := cs.Remove(e.ctx, "pics"); err != nil {
		t.Fatal(err)
	}
	// Refused changes publish nothing.
	if err := cs.Remove(e.ctx, "pics"); err == nil {
		t.Fatal("removed twice")
	}
	if _, err := cs.Add(e.ctx, Config{Name: "docs", Workgroup: testWG, Path: t.TempDir()}); err == nil {
		t.Fatal("added twice")
	}
	var got []string
	for _, ev := range sub.Take(nil) {
		var c events.ShareChange
		if err := ev.Decode(&c); err != nil || ev.Workgroup != testWG || ev.Kind != events.KindShareChanged {
			t.Fatalf("event %+v: %v", ev, err)
		}
		got = append(got, c.Name+" "+c.Change)
	}
	if want := []string{"pics added", "pics changed", "pics removed"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// steppingClock moves 300 ms (more than events.ProgressEvery) each time
// it is read, so every progress callback publishes.
func steppingClock() func() time.Time {
	var n atomic.Int64
	start := time.Unix(1_800_000_000, 0)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * 300 * time.Millisecond) }
}

func transferEvents(t *testing.T, sub *events.Subscription) []events.TransferProgress {
	t.Helper()
	var out []events.TransferProgress
	for _, ev := range sub.Take(nil) {
		var p events.TransferProgress
		if err := ev.Decode(&p); err != nil || ev.Workgroup != testWG {
			t.Fatalf("event %+v: %v", ev, err)
		}
		out = append(out, p)
	}
	return out
}

// checkTransfer: one transfer ID, bytes never going back, ending in one
// Done event of the whole size.
func checkTransfer(t *testing.T, got []events.TransferProgress, dir, path, peer string, size int64) {
	t.Helper()
	if len(got) < 2 {
		t.Fatalf("%d progress events, want some and a final one", len(got))
	}
	for i, p := range got {
		if p.ID != got[0].ID || p.Direction != dir || p.Share != "docs" || p.Path != path || p.Peer != peer ||
			(i > 0 && p.Bytes < got[i-1].Bytes) || p.Done != (i == len(got)-1) {
			t.Fatalf("event %d of %d: %+v", i, len(got), p)
		}
	}
	if last := got[len(got)-1]; last.Bytes != size || last.Total != size || last.Error != "" {
		t.Fatalf("final event %+v, want %d bytes", last, size)
	}
}

func TestTransferProgressEvents(t *testing.T) {
	e := newEnv(t, Rule{"*", "rw"})
	c := e.client("alice")
	bus := events.New(events.Options{Now: steppingClock()})
	defer bus.Close()
	sub := bus.Subscribe(events.Filter{Kinds: []events.Kind{events.KindTransferProgress}})
	const size = 3<<20 + 7
	e.write("big.bin", randBytes(t, size))
	o := TransferOptions{Events: bus, Workgroup: testWG}
	dst := t.TempDir()
	if _, err := GetFile(e.ctx, c, "docs", "big.bin", dst, o); err != nil {
		t.Fatal(err)
	}
	srv := e.srvHost.ID().String()
	checkTransfer(t, transferEvents(t, sub), events.DirectionDownload, "big.bin", srv, size)
	if _, err := PutFile(e.ctx, c, filepath.Join(dst, "big.bin"), "docs", "copy.bin", o); err != nil {
		t.Fatal(err)
	}
	checkTransfer(t, transferEvents(t, sub), events.DirectionUpload, "copy.bin", srv, size)

	// A failed transfer ends with its error.
	o.Retries = -1
	if _, err := GetFile(e.ctx, c, "docs", "missing.bin", dst, o); err == nil {
		t.Fatal("got a missing file")
	}
	got := transferEvents(t, sub)
	if len(got) != 1 || !got[0].Done || got[0].Error == "" {
		t.Fatalf("failed transfer: %+v", got)
	}
}
