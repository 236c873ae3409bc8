package events

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }

func TestProgressRate(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	b := New(Options{Now: clock.now})
	defer b.Close()
	s := b.Subscribe(Filter{Kinds: []Kind{KindTransferProgress}})
	p := b.Progress("wg", TransferProgress{ID: "t1", Direction: DirectionUpload, Total: 1000})
	for range 10 { // 100 ms apart: one event per 250 ms
		clock.add(100 * time.Millisecond)
		p.Add(100)
	}
	clock.add(10 * time.Millisecond)
	p.Update(950, 2000) // too soon after 900: kept for the final event
	p.Done(errors.New("disk full"))
	p.Done(nil)
	p.Add(5)
	var got []TransferProgress
	for _, ev := range s.Take(nil) {
		var tp TransferProgress
		if err := ev.Decode(&tp); err != nil {
			t.Fatal(err)
		}
		got = append(got, tp)
	}
	bytes := make([]int64, len(got))
	for i, tp := range got {
		bytes[i] = tp.Bytes
	}
	// Published at 300 ms, 600 ms and 900 ms, then the final one.
	if !slices.Equal(bytes, []int64{300, 600, 900, 950}) {
		t.Fatalf("progress events at %v", bytes)
	}
	last := got[len(got)-1]
	if !last.Done || last.Error != "disk full" || last.Total != 2000 || got[0].Done || got[0].ID != "t1" || got[0].Total != 1000 {
		t.Fatalf("events %+v", got)
	}
}

func TestProgressNil(t *testing.T) {
	t.Parallel()
	var b *Bus
	p := b.Progress("", TransferProgress{})
	p.Add(1)
	p.Done(nil)
}
