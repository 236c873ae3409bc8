package presence

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Two changes at once (a Set and a Logoff) both stay, shown and saved:
// each update reads the status the other saved, none undoes the other.
// startAlone starts a presence service on a host of its own, in no
// workgroup, with db for its settings; it is closed at cleanup.
func startAlone(t *testing.T, db *store.DB) *Service {
	t.Helper()
	h := newHost(t)
	s, err := New(Config{Host: h, Dir: workgroup.NewStaticDirectory(h.ID()), Settings: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestUpdatesAtOnce(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := startAlone(t, db)
	for i := range 50 {
		if _, err := s.Logon(ctx); err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprint("text", i)
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := s.Set(ctx, Busy, text); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := s.Logoff(ctx); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if got := s.Self(); got.State != Busy || got.Text != text || got.LoggedOn {
			t.Fatalf("round %d: shows %+v after Set(busy, %s) and Logoff at once", i, got, text)
		}
		state, txt, on := stored(t, db)
		if state != Busy || txt != text || on != "false" {
			t.Fatalf("round %d: stored %s %q logged_on=%s after Set(busy, %s) and Logoff at once", i, state, txt, on, text)
		}
	}
}

// stored is the presence kept in db (what a restart loads).
func stored(t *testing.T, db *store.DB) (state, text, loggedOn string) {
	t.Helper()
	var out [3]string
	for i, k := range []string{"presence.state", "presence.text", "presence.logged_on"} {
		v, err := db.Setting(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out[0], out[1], out[2]
}
