//go:build linux

package presence

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// The node's own presence on a disk that fills up: the disk is given
// back a page at a time, so some saves find room for one row's write and
// not for three. Each call is kept whole (state, text and logon as it
// answered) or refused with the old three kept, never a mix; a restart
// loads what was last answered.
func TestSaveOnFullDisk(t *testing.T) {
	dir := testutil.Tmpfs{Size: "1m", Mode: "0700"}.Mount(t)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // before the unmount
	s := startAlone(t, db)
	kept, err := s.Set(ctx, Away, "before")
	if err != nil {
		t.Fatal(err)
	}

	filler := testutil.FillDisk(t, dir)
	size := filler.Size
	refused, took := 0, 0
	for i := 0; i < 48; i++ {
		if i%3 == 0 && i > 0 { // one page back every third call
			size -= 4096
			if err := os.Truncate(filler.Path, size); err != nil {
				t.Fatal(err)
			}
		}
		var got Status
		var err error
		switch i % 4 {
		case 1:
			got, err = s.Logoff(ctx)
		case 3:
			got, err = s.Logon(ctx)
		default:
			got, err = s.Set(ctx, []string{Online, Away, Busy}[i%3], fmt.Sprint("text", i))
		}
		switch {
		case err == nil:
			took++
			kept = got
		case store.IsFull(err):
			refused++
			if errors.As(err, new(*invalidError)) {
				t.Fatalf("call %d: a full disk reads as invalid input: %v", i, err)
			}
		default:
			t.Fatalf("call %d: %v", i, err)
		}
		state, text, on := stored(t, db)
		if want := fmt.Sprint(kept.LoggedOn); state != kept.State || text != kept.Text || on != want {
			t.Fatalf("call %d (err %v): stored %s %q logged_on=%s, want the last answered %s %q logged_on=%s",
				i, err, state, text, on, kept.State, kept.Text, want)
		}
		if self := s.Self(); self.State != kept.State || self.Text != kept.Text || self.LoggedOn != kept.LoggedOn {
			t.Fatalf("call %d (err %v): shows %+v, want %+v", i, err, self, kept)
		}
	}
	if refused == 0 || took == 0 {
		t.Fatalf("%d calls refused, %d taken: the disk never refused or never took one", refused, took)
	}
	t.Logf("%d calls refused, %d taken", refused, took)

	// A restart loads the last answered presence.
	filler.Free()
	h2 := newHost(t)
	s2, err := New(Config{Host: h2, Dir: workgroup.NewStaticDirectory(h2.ID()), Settings: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	if got := s2.Self(); got.State != kept.State || got.Text != kept.Text || got.LoggedOn != kept.LoggedOn {
		t.Fatalf("after a restart: %+v, want %+v", got, kept)
	}
}
