package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// ShareAddRequest declares a share.
type ShareAddRequest struct {
	Name      string   `json:"name"`
	Path      string   `json:"path"`
	Workgroup string   `json:"workgroup,omitempty"`
	Allow     []string `json:"allow,omitempty"` // WHO[=ro|rw|none]; none given: everyone reads
}

// ShareSetRequest replaces a share's access list.
type ShareSetRequest struct {
	Allow []string `json:"allow"`
}

// FilesRequest names a remote file or folder, NODE:SHARE/path.
type FilesRequest struct {
	Target    string `json:"target"`
	To        string `json:"to,omitempty"`    // mv: NODE:SHARE/path or a path in the same share
	Local     string `json:"local,omitempty"` // get/put: absolute local path (the node reads or writes it)
	Recursive bool   `json:"recursive,omitempty"`
	Workgroup string `json:"workgroup,omitempty"`
}

// LsResult lists a remote folder, describes a file, or (for NODE:) lists
// the shares the node offers this node.
type LsResult struct {
	Target  string            `json:"target"`
	Shares  []share.ShareInfo `json:"shares,omitempty"`
	Entry   *share.Entry      `json:"entry,omitempty"`
	Entries []share.Entry     `json:"entries,omitempty"`
}

// TransferEvent is one line of a get/put NDJSON stream: progress, then a
// last line with Done and Result or Error.
type TransferEvent struct {
	Name   string        `json:"name,omitempty"`
	Bytes  int64         `json:"bytes,omitempty"`
	Total  int64         `json:"total,omitempty"`
	Done   bool          `json:"done,omitempty"`
	Result *share.Result `json:"result,omitempty"`
	Error  *Error        `json:"error,omitempty"`
}

// ShareRoutes declares the sharing endpoints over svc.
func ShareRoutes(svc *share.Service) func(*Server) {
	return func(s *Server) {
		Handle(s, "GET /v1/shares", "This node's shares with their access lists",
			func(ctx context.Context, r *http.Request, _ Empty) ([]share.Config, error) {
				l, err := svc.Configs().List(ctx)
				if l == nil {
					l = []share.Config{}
				}
				return l, err
			})
		Handle(s, "POST /v1/shares", "Share a local folder with a workgroup",
			func(ctx context.Context, r *http.Request, req ShareAddRequest) (share.Config, error) {
				d := svc.Directory()
				if d == nil {
					return share.Config{}, Unavailable("the workgroup service is not running")
				}
				info, err := workgroup.Resolve(d, req.Workgroup)
				if err != nil {
					return share.Config{}, BadRequest("%v", err)
				}
				rules, err := parseRules(req.Allow)
				if err != nil {
					return share.Config{}, err
				}
				if !filepath.IsAbs(req.Path) {
					return share.Config{}, BadRequest("path %q must be absolute", req.Path)
				}
				if s.backend.Node != nil && overlaps(req.Path, s.backend.Node.Home()) {
					return share.Config{}, BadRequest("%s holds or is inside the node's state folder %s (its keys): share another folder", req.Path, s.backend.Node.Home())
				}
				cfg, err := svc.Configs().Add(ctx, share.Config{Name: req.Name, Workgroup: info.ID, Path: req.Path, Rules: rules})
				if errors.Is(err, share.ErrExists) {
					return cfg, Conflict("%v", err)
				}
				if err != nil {
					return cfg, BadRequest("%v", err)
				}
				return cfg, nil
			})
		Handle(s, "PUT /v1/shares/{name}/access", "Replace a share's access list",
			func(ctx context.Context, r *http.Request, req ShareSetRequest) (share.Config, error) {
				rules, err := parseRules(req.Allow)
				if err != nil {
					return share.Config{}, err
				}
				if len(rules) == 0 {
					return share.Config{}, BadRequest("give at least one --allow WHO[=ro|rw|none]")
				}
				name := r.PathValue("name")
				if err := svc.Configs().SetRules(ctx, name, rules); err != nil {
					return share.Config{}, shareErr(err)
				}
				return svc.Configs().Get(ctx, name)
			})
		Handle(s, "DELETE /v1/shares/{name}", "Stop sharing a folder (its files stay)",
			func(ctx context.Context, r *http.Request, _ Empty) (Empty, error) {
				return Empty{}, shareErr(svc.Configs().Remove(ctx, r.PathValue("name")))
			})
		Handle(s, "GET /v1/files/ls", "List NODE:SHARE/path (a folder's entries, a file's details, or NODE: for its shares)",
			func(ctx context.Context, r *http.Request, _ Empty) (LsResult, error) {
				return filesLs(ctx, svc, r.URL.Query().Get("target"), r.URL.Query().Get("workgroup"))
			}, "target", "workgroup")
		Handle(s, "POST /v1/files/mkdir", "Create a folder in a remote share",
			func(ctx context.Context, r *http.Request, req FilesRequest) (Empty, error) {
				c, t, err := remote(svc, req.Target, req.Workgroup)
				if err != nil {
					return Empty{}, err
				}
				return Empty{}, shareErr(c.Mkdir(ctx, t.Share, t.Path))
			})
		Handle(s, "POST /v1/files/rm", "Remove a file or (recursive) a folder in a remote share",
			func(ctx context.Context, r *http.Request, req FilesRequest) (Empty, error) {
				c, t, err := remote(svc, req.Target, req.Workgroup)
				if err != nil {
					return Empty{}, err
				}
				return Empty{}, shareErr(c.Remove(ctx, t.Share, t.Path, req.Recursive))
			})
		Handle(s, "POST /v1/files/mv", "Rename or move inside a remote share",
			func(ctx context.Context, r *http.Request, req FilesRequest) (Empty, error) {
				c, t, err := remote(svc, req.Target, req.Workgroup)
				if err != nil {
					return Empty{}, err
				}
				to := req.To
				if tt, err := share.ParseTarget(req.To); err == nil {
					if tt.Node != t.Node || tt.Share != t.Share {
						return Empty{}, BadRequest("mv works inside one share; %s and %s differ", t, tt)
					}
					to = tt.Path
				}
				return Empty{}, shareErr(c.Rename(ctx, t.Share, t.Path, to))
			})
		HandleRaw(s, "POST /v1/files/get", "Download NODE:SHARE/path to a local path (NDJSON progress stream)",
			func(w http.ResponseWriter, r *http.Request) { transfer(w, r, svc, false) })
		HandleRaw(s, "POST /v1/files/put", "Upload a local path to NODE:SHARE/path (NDJSON progress stream)",
			func(w http.ResponseWriter, r *http.Request) { transfer(w, r, svc, true) })
	}
}

// overlaps reports whether one of the folders a and b contains the other
// (after resolving symlinks where they exist).
func overlaps(a, b string) bool {
	clean := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		return filepath.Clean(p)
	}
	a, b = clean(a), clean(b)
	within := func(x, y string) bool {
		rel, err := filepath.Rel(y, x)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	return within(a, b) || within(b, a)
}

func parseRules(allow []string) ([]share.Rule, error) {
	var rules []share.Rule
	for _, a := range allow {
		r, err := share.ParseRule(a)
		if err != nil {
			return nil, BadRequest("%v", err)
		}
		rules = share.MergeRules(rules, []share.Rule{r})
	}
	return rules, nil
}

// shareErr maps the share package's errors to API errors.
func shareErr(err error) error {
	var re *share.RemoteError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, share.ErrNoShare), errors.Is(err, share.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return NotFound("%v", err)
	case errors.Is(err, share.ErrForbidden):
		return Forbidden("%v", err)
	case errors.Is(err, share.ErrBadPath):
		return BadRequest("%v", err)
	case errors.Is(err, share.ErrNoSpace):
		return Errorf(http.StatusInsufficientStorage, "no_space", "%v", err)
	case errors.As(err, &re) && re.Code == "conflict":
		return Conflict("%v", err)
	case errors.As(err, &re) && re.Code == "is_dir":
		return BadRequest("%v", err)
	}
	return Unavailable("%v", err)
}

func remote(svc *share.Service, target, wg string) (*share.Client, share.Target, error) {
	t, err := share.ParseTarget(target)
	if err != nil {
		return nil, t, BadRequest("%v", err)
	}
	if t.Share == "" {
		return nil, t, BadRequest("%q names no share: want NODE:SHARE/path", target)
	}
	c, _, err := svc.Remote(wg, t.Node)
	if err != nil {
		return nil, t, shareErr(err)
	}
	return c, t, nil
}

func filesLs(ctx context.Context, svc *share.Service, target, wg string) (LsResult, error) {
	t, err := share.ParseTarget(target)
	if err != nil {
		return LsResult{}, BadRequest("%v", err)
	}
	res := LsResult{Target: t.String()}
	if svc.IsSelf(wg, t.Node) {
		return lsLocal(ctx, svc, t)
	}
	c, _, err := svc.Remote(wg, t.Node)
	if err != nil {
		return res, shareErr(err)
	}
	if t.Share == "" {
		res.Shares, err = c.Shares(ctx)
		if res.Shares == nil {
			res.Shares = []share.ShareInfo{}
		}
		return res, shareErr(err)
	}
	e, err := c.Stat(ctx, t.Share, t.Path)
	if err != nil {
		return res, shareErr(err)
	}
	if !e.Dir {
		res.Entry = &e
		return res, nil
	}
	res.Entries, err = c.ReadDir(ctx, t.Share, t.Path)
	if res.Entries == nil {
		res.Entries = []share.Entry{}
	}
	return res, shareErr(err)
}

// lsLocal lists one of this node's own shares.
func lsLocal(ctx context.Context, svc *share.Service, t share.Target) (LsResult, error) {
	res := LsResult{Target: t.String()}
	if t.Share == "" {
		all, err := svc.Configs().List(ctx)
		for _, c := range all {
			res.Shares = append(res.Shares, share.ShareInfo{Name: c.Name, Workgroup: c.Workgroup, Right: share.ReadWrite})
		}
		return res, err
	}
	l, _, err := svc.OpenShare(ctx, t.Share)
	if err != nil {
		return res, shareErr(err)
	}
	defer l.Close()
	e, err := l.Stat(t.Path)
	if err != nil {
		return res, shareErr(err)
	}
	if !e.Dir {
		res.Entry = &e
		return res, nil
	}
	res.Entries = []share.Entry{}
	err = l.ReadDir(t.Path, 0, func(es []share.Entry) error { res.Entries = append(res.Entries, es...); return nil })
	return res, shareErr(err)
}

// transfer runs a get or put for the CLI: the node itself reads or writes
// the local path (the CLI runs on this machine as the same user; the
// control socket is 0600), so file bodies never cross the control API.
// Progress goes back as NDJSON lines, at most ten a second.
func transfer(w http.ResponseWriter, r *http.Request, svc *share.Service, put bool) {
	var req FilesRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, BadRequest("request body: %v", err))
		return
	}
	if !filepath.IsAbs(req.Local) {
		writeError(w, BadRequest("local path %q must be absolute", req.Local))
		return
	}
	c, t, err := remote(svc, req.Target, req.Workgroup)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	emit := func(ev TransferEvent) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(ev)
		if fl != nil {
			fl.Flush()
		}
	}
	var last time.Time
	opts := share.TransferOptions{Digests: svc.Digests(), Progress: func(name string, done, total int64) {
		if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || done == total {
			last = now
			emit(TransferEvent{Name: name, Bytes: done, Total: total})
		}
	}}
	ctx := r.Context()
	var res share.Result
	switch {
	case put && req.Recursive:
		res, err = share.PutTree(ctx, c, req.Local, t.Share, putPath(ctx, c, t, req.Local), opts)
	case put:
		res, err = share.PutFile(ctx, c, req.Local, t.Share, putPath(ctx, c, t, req.Local), opts)
	case req.Recursive:
		local := req.Local
		if fi, err := os.Stat(local); err == nil && fi.IsDir() && t.Path != "." {
			local = filepath.Join(local, filepath.Base(filepath.FromSlash(t.Path)))
		}
		res, err = share.GetTree(ctx, c, t.Share, t.Path, local, opts)
	default:
		res, err = share.GetFile(ctx, c, t.Share, t.Path, req.Local, opts)
	}
	ev := TransferEvent{Done: true, Result: &res}
	if err != nil {
		ev.Error = asAPIError(shareErr(fmt.Errorf("%s: %w", t, err)))
	}
	emit(ev)
}

// putPath puts a file into a remote folder under its own name.
func putPath(ctx context.Context, c *share.Client, t share.Target, local string) string {
	if e, err := c.Stat(ctx, t.Share, t.Path); err == nil && e.Dir {
		if t.Path == "." {
			return filepath.Base(local)
		}
		return t.Path + "/" + filepath.Base(local)
	}
	return t.Path
}
