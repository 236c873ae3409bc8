package davfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/peerhood/peerhood/internal/identity"
	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/wire"
)

// ShareBackend is the Backend of a running node: its own shares (from the
// share list, served from disk through LocalBackend, with full rights:
// the local user owns them) and every other member's shares over
// /peerhood/files/1, with the rights their access lists grant this node.
type ShareBackend struct {
	svc   *share.Service
	self  string
	local *LocalBackend
	spool string // uploads to other nodes are staged here (PUT has no size up front)

	mu     sync.Mutex
	synced time.Time
	paths  map[string]string // own share name -> folder served

	offline offlineMemo // members found offline a moment ago
}

// ownSyncEvery bounds how stale the own share list may be.
const ownSyncEvery = time.Second

// NewShareBackend serves svc's shares as node self; spool is a private
// folder for staging uploads to other nodes.
func NewShareBackend(svc *share.Service, self, spool string) (*ShareBackend, error) {
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, fmt.Errorf("webdav spool: %w", err)
	}
	// Uploads a crash interrupted are dropped: their PUT never succeeded.
	if stale, err := filepath.Glob(filepath.Join(spool, "put-*")); err == nil {
		for _, p := range stale {
			os.Remove(p)
		}
	}
	b := &ShareBackend{svc: svc, self: self, local: NewLocalBackend(self), spool: spool, paths: map[string]string{}}
	b.local.alias = b.isSelf
	return b, nil
}

// Close releases the own shares' folders.
func (b *ShareBackend) Close() error { return b.local.Close() }

// isSelf reports whether node names this node: one of its member names
// (selfNames).
func (b *ShareBackend) isSelf(node string) bool {
	for _, n := range b.selfNames() {
		if identity.CanonicalName(node) == identity.CanonicalName(n) {
			return true
		}
	}
	return false
}

// selfNames are the names this node goes by: its member name in each
// workgroup it is in (`join --name laptop` makes it "laptop" there, in
// WebDAV as in the CLI and browse), or its node name when it is in none.
func (b *ShareBackend) selfNames() []string {
	d := b.svc.Directory()
	if d == nil {
		return []string{b.self}
	}
	var out []string
	seen := map[string]bool{}
	for _, wg := range d.Workgroups() {
		if m, ok := d.Self(wg.ID); ok && !seen[identity.CanonicalName(m.Name)] && CheckName(m.Name) == nil {
			seen[identity.CanonicalName(m.Name)] = true
			out = append(out, m.Name)
		}
	}
	if len(out) == 0 {
		return []string{b.self}
	}
	sort.Strings(out)
	return out
}

// syncOwn mirrors the share list into the local backend.
func (b *ShareBackend) syncOwn(ctx context.Context, force bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !force && time.Since(b.synced) < ownSyncEvery {
		return nil
	}
	cfgs, err := b.svc.Configs().List(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range cfgs {
		seen[c.Name] = true
		if b.paths[c.Name] == c.Path {
			continue
		}
		if err := b.local.Add(c.Name, c.Path, false); err != nil {
			// A folder that went away: the share shows as missing.
			b.local.Remove(c.Name)
			delete(b.paths, c.Name)
			continue
		}
		b.paths[c.Name] = c.Path
	}
	for name := range b.paths {
		if !seen[name] {
			b.local.Remove(name)
			delete(b.paths, name)
		}
	}
	b.synced = time.Now()
	return nil
}

// remote returns a client for the member named node, in any workgroup,
// once it is connected: a member that cannot be reached is answered as
// the CLI answers it (share's Reach: at most 1.5 s for one presence does
// not show online), as an offlineError (503 with that sentence).
func (b *ShareBackend) remote(ctx context.Context, node string) (*share.Client, error) {
	d := b.svc.Directory()
	if d == nil {
		return nil, fmt.Errorf("node %q: this node is in no workgroup: %w", node, fs.ErrNotExist)
	}
	for _, wg := range d.Workgroups() {
		if _, ok := d.ByName(wg.ID, node); !ok {
			continue
		}
		c, m, err := b.svc.Remote(wg.ID, node)
		if err != nil {
			continue
		}
		if err := b.offline.reach(ctx, b.svc, m); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("node %q: no such member: %w", node, fs.ErrNotExist)
}

// Nodes lists this node (under its member names: selfNames), then every
// other member of every workgroup.
func (b *ShareBackend) Nodes(ctx context.Context) ([]string, error) {
	out := b.selfNames()
	seen := map[string]bool{}
	for _, n := range out {
		seen[identity.CanonicalName(n)] = true
	}
	d := b.svc.Directory()
	if d == nil {
		return out, nil
	}
	var others []string
	for _, wg := range d.Workgroups() {
		me, _ := d.Self(wg.ID)
		for _, m := range d.Members(wg.ID) {
			k := identity.CanonicalName(m.Name)
			if seen[k] || m.PeerID == me.PeerID || CheckName(m.Name) != nil {
				continue
			}
			seen[k] = true
			others = append(others, m.Name)
		}
	}
	sort.Strings(others)
	return append(out, others...), nil
}

// Shares lists a node's shares with this node's rights.
func (b *ShareBackend) Shares(ctx context.Context, node string) ([]ShareInfo, error) {
	if b.isSelf(node) {
		if err := b.syncOwn(ctx, true); err != nil {
			return nil, err
		}
		return b.local.Shares(ctx, node)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return nil, err
	}
	list, err := c.Shares(ctx)
	if err != nil {
		return nil, shareErr(err)
	}
	seen := map[string]bool{}
	out := make([]ShareInfo, 0, len(list))
	for _, s := range list {
		if seen[s.Name] || !s.Right.CanRead() {
			continue
		}
		seen[s.Name] = true
		out = append(out, ShareInfo{Name: s.Name, ReadOnly: !s.Right.CanWrite()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// own returns the local backend, synced, when node is this node.
func (b *ShareBackend) own(ctx context.Context, node string) (*LocalBackend, bool, error) {
	if !b.isSelf(node) {
		return nil, false, nil
	}
	return b.local, true, b.syncOwn(ctx, false)
}

func entryInfo(e share.Entry) FileInfo {
	return FileInfo{Name: e.Name, Size: e.Size, ModTime: e.ModTime(), IsDir: e.Dir}
}

// Stat implements Backend.
func (b *ShareBackend) Stat(ctx context.Context, node, sh, p string) (FileInfo, error) {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return FileInfo{}, err
		}
		return l.Stat(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return FileInfo{}, err
	}
	e, err := c.Stat(ctx, sh, p)
	if err != nil {
		return FileInfo{}, shareErr(err)
	}
	fi := entryInfo(e)
	if p == "" {
		fi.Name = sh
	} else {
		fi.Name = path.Base(p)
	}
	return fi, nil
}

// ReadDir implements Backend.
func (b *ShareBackend) ReadDir(ctx context.Context, node, sh, p string) ([]FileInfo, error) {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return l.ReadDir(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return nil, err
	}
	var out []FileInfo
	err = c.ReadDirFunc(ctx, sh, p, func(es []share.Entry) error {
		for _, e := range es {
			out = append(out, entryInfo(e))
		}
		return nil
	})
	return out, shareErr(err)
}

// ReadDirFull implements FullLister. A remote node's listing has every
// name (the names the gateway refuses included) but not the links that
// leave its share, which the files protocol hides: those are kept safe by
// removing folders only when empty (RemoveOne).
func (b *ShareBackend) ReadDirFull(ctx context.Context, node, sh, p string) ([]FileInfo, error) {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return l.ReadDirFull(ctx, node, sh, p)
	}
	all, err := b.ReadDir(ctx, node, sh, p)
	for i := range all {
		if CheckName(all[i].Name) != nil {
			all[i].Skip = skipName
		}
	}
	return all, err
}

// RemoveOne implements Remover.
func (b *ShareBackend) RemoveOne(ctx context.Context, node, sh, p string) error {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return err
		}
		return l.RemoveOne(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return err
	}
	return shareErr(c.Remove(ctx, sh, p, false))
}

// Open implements Backend: a remote file is read as one stream from the
// first offset asked, reopened only when a read jumps elsewhere.
func (b *ShareBackend) Open(ctx context.Context, node, sh, p string) (ReadHandle, error) {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return l.Open(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return nil, err
	}
	return &remoteReader{ctx: ctx, c: c, share: sh, path: p}, nil
}

// Create implements Backend: data for another node is staged in the
// spool and sent with Put (digest checked, renamed into place there) on
// Commit.
func (b *ShareBackend) Create(ctx context.Context, node, sh, p string) (WriteHandle, error) {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return l.Create(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return nil, err
	}
	if err := b.checkCreate(ctx, c, sh, p); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(b.spool, "put-*")
	if err != nil {
		return nil, fmt.Errorf("stage upload: %w", err)
	}
	return &remoteWriter{ctx: ctx, c: c, share: sh, path: p, f: f, mtime: UploadModTime(ctx)}, nil
}

// CreateSized implements SizedCreator: a write of known size to another
// node streams straight into the share client's Put.
func (b *ShareBackend) CreateSized(ctx context.Context, node, sh, p string, size int64) (WriteHandle, error) {
	if b.isSelf(node) {
		return b.Create(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return nil, err
	}
	if err := b.checkCreate(ctx, c, sh, p); err != nil {
		return nil, err
	}
	w := newStreamWriter(size)
	mtime := UploadModTime(ctx)
	go func() {
		e, err := c.Put(ctx, sh, p, w.feed, size, mtime)
		if err == nil {
			fi := entryInfo(e)
			w.entry = &fi
		}
		w.done <- err
	}()
	return w, nil
}

// checkCreate gives WebDAV's answers before a remote upload starts: the
// parent must be a folder, the target must not be one.
func (b *ShareBackend) checkCreate(ctx context.Context, c *share.Client, sh, p string) error {
	if p == "" {
		return fmt.Errorf("create: the share's root is a folder: %w", fs.ErrExist)
	}
	if parent := path.Dir(p); parent != "." {
		e, err := c.Stat(ctx, sh, parent)
		if err != nil {
			return shareErr(err)
		}
		if !e.Dir {
			return fmt.Errorf("create %s: parent is a file: %w", p, fs.ErrNotExist)
		}
	}
	if e, err := c.Stat(ctx, sh, p); err == nil && e.Dir {
		return fmt.Errorf("create %s: %w", p, ErrIsDir)
	}
	return nil
}

// Mkdir implements Backend (one level: the parent must exist).
func (b *ShareBackend) Mkdir(ctx context.Context, node, sh, p string) error {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return err
		}
		return l.Mkdir(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return err
	}
	if _, err := c.Stat(ctx, sh, p); err == nil {
		return fmt.Errorf("mkdir %s: %w", p, fs.ErrExist)
	}
	if parent := path.Dir(p); parent != "." {
		if e, err := c.Stat(ctx, sh, parent); err != nil || !e.Dir {
			return fmt.Errorf("mkdir %s: parent missing: %w", p, fs.ErrNotExist)
		}
	}
	return shareErr(c.Mkdir(ctx, sh, p))
}

// RemoveAll implements Backend.
func (b *ShareBackend) RemoveAll(ctx context.Context, node, sh, p string) error {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return err
		}
		return l.RemoveAll(ctx, node, sh, p)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return err
	}
	return shareErr(c.Remove(ctx, sh, p, true))
}

// Rename implements Backend.
func (b *ShareBackend) Rename(ctx context.Context, node, sh, from, to string) error {
	if l, ok, err := b.own(ctx, node); ok || err != nil {
		if err != nil {
			return err
		}
		return l.Rename(ctx, node, sh, from, to)
	}
	c, err := b.remote(ctx, node)
	if err != nil {
		return err
	}
	if parent := path.Dir(to); parent != "." {
		if e, err := c.Stat(ctx, sh, parent); err != nil || !e.Dir {
			return fmt.Errorf("rename to %s: parent missing: %w", to, fs.ErrNotExist)
		}
	}
	return shareErr(c.Rename(ctx, sh, from, to))
}

// shareErr maps the file protocol's errors to the ones davfs knows.
func shareErr(err error) error {
	if err == nil {
		return nil
	}
	var re *share.RemoteError
	switch {
	case errors.Is(err, share.ErrNotFound):
		return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	case errors.Is(err, share.ErrForbidden):
		return fmt.Errorf("%w: %w", fs.ErrPermission, err)
	case errors.Is(err, share.ErrBadPath):
		return fmt.Errorf("%w: %w", ErrBadPath, err)
	case errors.Is(err, share.ErrNoSpace):
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	case errors.As(err, &re) && re.Code == wire.CodeConflict:
		return fmt.Errorf("%w: %w", fs.ErrExist, err)
	case errors.As(err, &re) && re.Code == "is_dir":
		return fmt.Errorf("%w: %w", ErrIsDir, err)
	case errors.As(err, &re) && re.Code == "busy":
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case errors.As(err, &re), errors.Is(err, share.ErrCorrupt), errors.Is(err, share.ErrChanged):
		// Refused or failed there after it took the request: 502, never
		// x/net/webdav's 405 for a PUT whose copy or commit failed.
		return fmt.Errorf("%w: %w", ErrUpstream, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	// Not a refusal by the other node: it could not be reached.
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

var _ Backend = (*ShareBackend)(nil)
