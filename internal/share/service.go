package share

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/bgwork"
	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Service is this node's sharing service: its share list, the
// /peerhood/files/1 server, and clients for other members' shares.
type Service struct {
	configs *Configs
	db      *store.DB
	dir     workgroup.Directory
	keepOut string // a folder no share may hold or sit inside (KeepOut)
	host    host.Host
	log     *slog.Logger
	uploads sync.Map // running uploads, by share and partial name
	digests *Digests
	resumes resumes            // cut uploads of the web UI (PutRange)
	seen    SeenFunc           // presence's view, for offline messages (reach.go)
	stop    context.CancelFunc // ends the partial-upload sweeper
	swept   chan struct{}      // closed when the sweeper returned
	shaOnly atomic.Bool        // answer every offer with SHA-256, as nodes before BLAKE3 (tests)
	noBatch atomic.Bool        // answer a batch as nodes before batches did (tests)
	batched atomic.Int64       // batch items served (tests)

	// bg: the /peerhood/files/1 handlers, which libp2p runs on
	// goroutines of its own, count themselves (bg.Add); life ends at
	// Close, which resets their streams and waits for them.
	bg   bgwork.Group
	life context.Context
	end  context.CancelFunc

	metrics *transferMetrics // GET /metrics (metrics.go)
}

// New returns the service over db; dir is the membership directory.
func New(db *store.DB, h host.Host, dir workgroup.Directory, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("svc", "share")
	life, end := context.WithCancel(context.Background())
	return &Service{configs: &Configs{db: db, dir: dir}, db: db, dir: dir, host: h, log: log, digests: NewDigests(db, log),
		metrics: newTransferMetrics(), life: life, end: end}
}

// Store returns the node's database (the WebDAV gateway keeps its dead
// properties there).
func (s *Service) Store() *store.DB { return s.db }

// Register serves /peerhood/files/1 on the host, behind workgroup.Guard,
// and starts the sweeper of abandoned partial uploads.
func (s *Service) Register() {
	if s.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s.stop = cancel
		s.swept = make(chan struct{})
		go s.sweepLoop(ctx, s.swept)
	}
	s.host.SetStreamHandler(p2p.ProtoFiles, workgroup.Guard(s.dir, s.log, s.handle))
}

// Close stops serving: no stream is served from now on, the streams
// being served are reset (a transfer in flight ends as on a broken
// stream: an upload keeps its temporary file for the sender's retry,
// nothing appears under its final name), and Close waits for their
// handlers, so nothing writes the share's files or the database once it
// returned. Resetting rather than waiting for the peer keeps it bounded.
func (s *Service) Close() error {
	s.bg.Stop() // no handler is counted from now on
	s.host.RemoveStreamHandler(p2p.ProtoFiles)
	s.end()
	s.bg.Wait()
	if s.stop != nil {
		s.stop()
		<-s.swept
	}
	return nil
}

// Digests returns the cache of large files' SHA-256 digests.
func (s *Service) Digests() *Digests { return s.digests }

// Configs returns the share list.
func (s *Service) Configs() *Configs { return s.configs }

// Directory returns the membership directory.
func (s *Service) Directory() workgroup.Directory { return s.dir }

// Start serves /peerhood/files/1 (Register): the daemon's module start.
func (s *Service) Start(context.Context) error {
	s.Register()
	return nil
}

// KeepOut makes POST /v1/shares refuse a folder that holds or sits
// inside folder (the node's state folder, with its keys).
func (s *Service) KeepOut(folder string) { s.keepOut = folder }

// VisibleShares lists this node's shares that member m may see, with m's
// right on each (the answer the files protocol gives m to "shares").
func (s *Service) VisibleShares(ctx context.Context, m workgroup.Member) ([]ShareInfo, error) {
	all, err := s.configs.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []ShareInfo
	for _, c := range all {
		if c.Workgroup != m.Workgroup {
			continue
		}
		if r := RightOf(c.Rules, m); r.CanRead() {
			out = append(out, ShareInfo{Name: c.Name, Workgroup: c.Workgroup, Right: r})
		}
	}
	return out, nil
}

// sharesFor lists the shares peer p may see, over all its memberships.
func (s *Service) sharesFor(ctx context.Context, p peer.ID) ([]ShareInfo, error) {
	var out []ShareInfo
	for _, m := range s.dir.Memberships(p) {
		l, err := s.VisibleShares(ctx, m)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	return out, nil
}

// Target is a parsed NODE:SHARE/path.
type Target struct {
	Node  string `json:"node"`
	Share string `json:"share,omitempty"`
	Path  string `json:"path"`
}

// ParseTarget parses NODE:SHARE[/path] (or NODE: for the node's shares).
func ParseTarget(s string) (Target, error) {
	node, rest, ok := strings.Cut(s, ":")
	if !ok || node == "" {
		return Target{}, fmt.Errorf("%q: want NODE:SHARE/path", s)
	}
	share, p, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	t := Target{Node: node, Share: share}
	if share != "" {
		if err := ValidateShareName(share); err != nil {
			return Target{}, err
		}
	}
	cp, err := CleanPath(p)
	if err != nil {
		return Target{}, err
	}
	t.Path = cp
	return t, nil
}

// String formats t back.
func (t Target) String() string {
	if t.Path == "." || t.Path == "" {
		return t.Node + ":" + t.Share
	}
	return t.Node + ":" + t.Share + "/" + t.Path
}

// Remote returns a client for member name of workgroup wg (resolved with
// workgroup.ResolveFor: empty means the only one, or the only one name is
// in).
func (s *Service) Remote(wg, name string) (*Client, workgroup.Member, error) {
	info, err := workgroup.ResolveFor(s.dir, wg, name)
	if err != nil {
		return nil, workgroup.Member{}, err
	}
	m, ok := s.dir.ByName(info.ID, name)
	if !ok {
		return nil, workgroup.Member{}, fmt.Errorf("%w: no member %q in workgroup %s (%s)", ErrNotFound, name, info.Name, memberList(s.dir, info.ID))
	}
	if m.PeerID == s.host.ID() {
		return nil, m, fmt.Errorf("%q is this node: use the local folder", name)
	}
	return NewClient(s.host, m.PeerID), m, nil
}

// OpenShare opens one of this node's own shares for local use (the CLI
// on this node, WebDAV). The caller closes the Local.
func (s *Service) OpenShare(ctx context.Context, name string) (*Local, Config, error) {
	cfg, err := s.configs.Get(ctx, name)
	if err != nil {
		return nil, Config{}, err
	}
	l, err := OpenLocal(cfg.Path)
	if err != nil {
		return nil, Config{}, err
	}
	return l, cfg, nil
}

// OpenFile opens file p of this node's share name for reading
// (fs.ErrNotExist when there is none); the caller closes it. The store
// and forward service reads through it what it wrote into a share.
func (s *Service) OpenFile(ctx context.Context, name, p string) (io.ReadCloser, error) {
	l, _, err := s.OpenShare(ctx, name)
	if err != nil {
		return nil, err
	}
	defer l.Close() // the open file outlives its os.Root
	f, _, err := l.Open(p)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// IsSelf reports whether member name of workgroup wg is this node.
func (s *Service) IsSelf(wg, name string) bool {
	info, err := workgroup.ResolveFor(s.dir, wg, name)
	if err != nil {
		return false
	}
	m, ok := s.dir.ByName(info.ID, name)
	return ok && m.PeerID == s.host.ID()
}

// SharesOf lists the shares member m offers this node in m's workgroup,
// with this node's right on each: for browse. For this node itself it
// lists its own shares of that workgroup (right rw: the owner). For a
// remote member it asks m over /peerhood/files/1 (bound the call with
// ctx; an offline member gives an error).
func (s *Service) SharesOf(ctx context.Context, m workgroup.Member) ([]ShareInfo, error) {
	if m.PeerID == s.host.ID() {
		all, err := s.configs.List(ctx)
		if err != nil {
			return nil, err
		}
		out := []ShareInfo{}
		for _, c := range all {
			if c.Workgroup == m.Workgroup {
				out = append(out, ShareInfo{Name: c.Name, Workgroup: c.Workgroup, Right: ReadWrite})
			}
		}
		return out, nil
	}
	all, err := NewClient(s.host, m.PeerID).Shares(ctx)
	if err != nil {
		return nil, err
	}
	out := []ShareInfo{}
	for _, si := range all {
		if si.Workgroup == m.Workgroup {
			out = append(out, si)
		}
	}
	return out, nil
}
