package bgwork

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Work counted before Stop runs and Wait waits for it; work offered
// after Stop is refused and never runs.
func TestGroup(t *testing.T) {
	add := func(g *Group, f func()) bool {
		if !g.Add() {
			return false
		}
		go func() {
			defer g.Done()
			f()
		}()
		return true
	}
	goRun := func(g *Group, f func()) bool { return g.Go(f) }
	tests := []struct {
		name      string
		stopFirst bool
		start     func(*Group, func()) bool
		want      bool // counted, and ran by the time Wait returned
	}{
		{"Add before Stop", false, add, true},
		{"Add after Stop", true, add, false},
		{"Go before Stop", false, goRun, true},
		{"Go after Stop", true, goRun, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var g Group
			if tc.stopFirst {
				g.Stop()
			}
			release := make(chan struct{})
			var ran atomic.Bool
			got := tc.start(&g, func() {
				<-release
				ran.Store(true)
			})
			close(release)
			g.Stop()
			g.Wait()
			if got != tc.want {
				t.Fatalf("counted = %v, want %v", got, tc.want)
			}
			if ran.Load() != tc.want {
				t.Fatalf("ran by Wait's return = %v, want %v", ran.Load(), tc.want)
			}
		})
	}
}

// Stop twice, and Wait with nothing counted, are fine.
func TestGroupStopIdle(t *testing.T) {
	var g Group
	g.Stop()
	g.Stop()
	g.Wait()
	if g.Add() {
		t.Fatal("Add after Stop counted")
	}
}

// Work offered in a loop while Stop and Wait run: none is counted once
// Wait returned, and each piece counted ended before it (run under -race:
// an Add racing with Wait is reported).
func TestGroupStopWhileAdding(t *testing.T) {
	for range 50 {
		var g Group
		var waited atomic.Bool
		var late atomic.Int64 // counted work that began after Wait returned
		var adders sync.WaitGroup
		start := make(chan struct{})
		for i := range 4 {
			adders.Add(1)
			go func() {
				defer adders.Done()
				<-start
				for range 1 << 16 { // bounded: a Group that never refuses fails, not hangs
					body := func() {
						if waited.Load() {
							late.Add(1)
						}
					}
					if i%2 == 0 {
						if !g.Add() {
							return
						}
						body()
						g.Done()
					} else if !g.Go(body) {
						return
					}
				}
			}()
		}
		close(start)
		g.Stop()
		g.Wait()
		waited.Store(true)
		adders.Wait()
		if g.Add() {
			t.Fatal("Add after Wait counted")
		}
		if n := late.Load(); n != 0 {
			t.Fatalf("%d pieces of work ran after Wait returned", n)
		}
	}
}
