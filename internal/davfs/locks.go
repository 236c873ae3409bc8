package davfs

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"
)

// Lock timeouts: a LOCK without Timeout (or asking Infinite) gets
// defaultLockTimeout; any asked value is kept within [minLockTimeout,
// maxLockTimeout]. The answer names the real timeout and the lock ends
// then unless refreshed.
const (
	defaultLockTimeout = time.Hour
	minLockTimeout     = time.Minute
	maxLockTimeout     = 24 * time.Hour
	maxLocks           = 10000
)

// lockSystem is the WebDAV lock store: exclusive and shared write locks, tokens as
// urn:uuid: URIs, real expiry. It replaces x/net/webdav's memLS, whose
// Confirm asks the Destination of a MOVE to be locked too and ignores
// ETags. The evaluation of If headers is done once per request by
// Handler.checkConditions (conditions.go); Confirm, which x/net's handler
// calls after that, only refuses what that check would refuse.
type lockSystem struct {
	mu    sync.Mutex
	locks map[string]*lockEntry // by token
}

type lockEntry struct {
	token   string
	details webdav.LockDetails
	expires time.Time
	shared  bool
}

func newLockSystem() *lockSystem { return &lockSystem{locks: map[string]*lockEntry{}} }

var _ webdav.LockSystem = (*lockSystem)(nil)

func newLockToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// clampTimeout turns an asked lock duration (negative: infinite) into
// the one granted.
func clampTimeout(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return defaultLockTimeout
	case d < minLockTimeout:
		return minLockTimeout
	case d > maxLockTimeout:
		return maxLockTimeout
	}
	return d
}

func (ls *lockSystem) expire(now time.Time) {
	for t, l := range ls.locks {
		if !now.Before(l.expires) {
			delete(ls.locks, t)
		}
	}
}

// under reports whether name is root or lies below it.
func under(name, root string) bool {
	return name == root || root == "/" || strings.HasPrefix(name, strings.TrimSuffix(root, "/")+"/")
}

// covers reports whether lock l applies to name: its root, or below a
// depth-infinity lock.
func (l *lockEntry) covers(name string) bool {
	if l.details.Root == name {
		return true
	}
	return !l.details.ZeroDepth && under(name, l.details.Root)
}

// blocking returns the locks a change of name must hold the tokens of:
// those covering name, those below it (deep changes) and, when the
// membership of its parent changes, a lock on the parent.
func (ls *lockSystem) blocking(now time.Time, name string, deep, membership bool) []*lockEntry {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.expire(now)
	parent := parentOf(name)
	var out []*lockEntry
	for _, l := range ls.locks {
		switch {
		case l.covers(name):
		case deep && under(l.details.Root, name):
		case membership && parent != "" && l.details.Root == parent:
		default:
			continue
		}
		out = append(out, l)
	}
	return out
}

// tokenCovers reports whether token names a live lock on name (or, for a
// change of a collection, on something below it).
func (ls *lockSystem) tokenCovers(now time.Time, token, name string) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.expire(now)
	l := ls.locks[token]
	return l != nil && (l.covers(name) || under(l.details.Root, name))
}

func parentOf(name string) string {
	name = strings.TrimSuffix(name, "/")
	i := strings.LastIndexByte(name, '/')
	if i <= 0 {
		if name == "" || name == "/" {
			return ""
		}
		return "/"
	}
	return name[:i]
}

// Confirm implements webdav.LockSystem. The request's If header was
// evaluated before x/net's handler ran (checkConditions); here only the
// locks are checked again: every lock that covers name0 or name1 must be
// named by the conditions.
func (ls *lockSystem) Confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	held := map[string]bool{}
	for _, c := range conditions {
		if c.Token != "" && !c.Not {
			held[c.Token] = true
		}
	}
	for _, n := range []string{name0, name1} {
		if n == "" {
			continue
		}
		if _, ok := satisfied(ls.blocking(now, lockName(n), false, false), held); !ok {
			return nil, webdav.ErrConfirmationFailed
		}
	}
	return func() {}, nil
}

// Create implements webdav.LockSystem. x/net's handler calls it only for
// its request lock (LOCK is served by serveLock): a temporary lock around
// each write sent without an If header, meant to meet other clients'
// locks. checkConditions has refused such a write already when a lock
// covers it, so the request lock is not kept: kept, it made two clients
// writing one name at once (rclone's parallel MKCOLs of a new folder, two
// PUTs of one file) refuse each other with 423, though neither held a
// lock. A change stays whole without it (temp + rename).
func (ls *lockSystem) Create(time.Time, webdav.LockDetails) (string, error) {
	return newLockToken(), nil
}

// createLock adds a lock unless one it overlaps conflicts: two shared
// locks do not.
func (ls *lockSystem) createLock(now time.Time, d webdav.LockDetails, shared bool) (string, error) {
	d.Root = lockName(d.Root)
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.expire(now)
	if len(ls.locks) >= maxLocks {
		return "", webdav.ErrLocked
	}
	for _, l := range ls.locks {
		overlap := l.covers(d.Root) || (!d.ZeroDepth && under(l.details.Root, d.Root))
		if overlap && !(shared && l.shared) {
			return "", webdav.ErrLocked
		}
	}
	d.Duration = clampTimeout(d.Duration)
	tok := newLockToken()
	ls.locks[tok] = &lockEntry{token: tok, details: d, expires: now.Add(d.Duration), shared: shared}
	return tok, nil
}

// refresh renews a lock and tells whether it is shared.
func (ls *lockSystem) refresh(now time.Time, token string, d time.Duration) (webdav.LockDetails, bool, error) {
	ld, err := ls.Refresh(now, token, d)
	if err != nil {
		return ld, false, err
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.locks[token]
	return ld, l != nil && l.shared, nil
}

// satisfied reports whether the submitted tokens open the locks a change
// meets: every exclusive lock's own token, and for shared locks one of
// theirs.
func satisfied(locks []*lockEntry, tokens map[string]bool) (*lockEntry, bool) {
	var sharedMiss *lockEntry
	sharedOK := false
	for _, l := range locks {
		switch {
		case !l.shared && !tokens[l.token]:
			return l, false
		case l.shared && tokens[l.token]:
			sharedOK = true
		case l.shared:
			sharedMiss = l
		}
	}
	if sharedMiss != nil && !sharedOK {
		return sharedMiss, false
	}
	return nil, true
}

// Refresh implements webdav.LockSystem.
func (ls *lockSystem) Refresh(now time.Time, token string, d time.Duration) (webdav.LockDetails, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.expire(now)
	l := ls.locks[token]
	if l == nil {
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	l.details.Duration = clampTimeout(d)
	l.expires = now.Add(l.details.Duration)
	return l.details, nil
}

// Unlock implements webdav.LockSystem.
func (ls *lockSystem) Unlock(now time.Time, token string) error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.expire(now)
	if ls.locks[token] == nil {
		return webdav.ErrNoSuchLock
	}
	delete(ls.locks, token)
	return nil
}

// moved drops the locks on a resource that was moved or deleted
// (RFC 4918 7.7: a lock does not move with the resource).
func (ls *lockSystem) moved(name string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for t, l := range ls.locks {
		if under(l.details.Root, name) {
			delete(ls.locks, t)
		}
	}
}
