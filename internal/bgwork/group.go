package bgwork

import "sync"

// Group counts the background work of one service; Stop ends its
// counting, Wait waits for the work counted.
type Group struct {
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

// Add counts one piece of work that runs on a goroutine which exists
// already (a stream handler): true, it is counted and must call Done
// when it ends; false, Stop ran and it must not run.
func (g *Group) Add() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	g.wg.Add(1)
	return true
}

// Done ends one piece of work counted by Add.
func (g *Group) Done() { g.wg.Done() }

// Go runs f on a goroutine of its own, counted, and reports true; once
// Stop ran it runs nothing and reports false.
func (g *Group) Go(f func()) bool {
	if !g.Add() {
		return false
	}
	go func() {
		defer g.wg.Done()
		f()
	}()
	return true
}

// Stop refuses all work from now on. Close calls it before it cancels
// or resets the work under way, then calls Wait.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// Wait waits for the work counted. Called after Stop, it returns once
// all of it ended; nothing is counted after.
func (g *Group) Wait() { g.wg.Wait() }
