package workgroup

// Watcher is implemented by directories that tell when membership
// changes (the Roster does): a workgroup created or joined, a member
// added, removed or expired. Services that keep per-workgroup state (a
// gossip topic per workgroup, open sessions of members) use it:
//
//	if w, ok := dir.(workgroup.Watcher); ok {
//		ch, stop := w.Watch()
//		defer stop()
//		for range ch { ... re-read dir ... }
//	}
type Watcher interface {
	// Watch returns a channel that receives a value after every change
	// (coalesced: one pending value at most) and a function that stops
	// the watch and closes the channel.
	Watch() (<-chan struct{}, func())
}

// Watch implements Watcher.
func (r *Roster) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.watchMu.Lock()
	if r.watchers == nil {
		r.watchers = map[chan struct{}]bool{}
	}
	r.watchers[ch] = true
	r.watchMu.Unlock()
	return ch, func() {
		r.watchMu.Lock()
		defer r.watchMu.Unlock()
		if r.watchers[ch] {
			delete(r.watchers, ch)
			close(ch)
		}
	}
}

// notify wakes every watcher.
func (r *Roster) notify() {
	r.watchMu.Lock()
	defer r.watchMu.Unlock()
	for ch := range r.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
