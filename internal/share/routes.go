package share

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// LsResult lists a remote folder, describes a file, or (for NODE:) lists
// the shares the node offers this node (read back as apitypes.LsResult).
type LsResult struct {
	Target  string      `json:"target"`
	Shares  []ShareInfo `json:"shares,omitempty"`
	Entry   *Entry      `json:"entry,omitempty"`
	Entries []Entry     `json:"entries,omitempty"`
}

// TransferEvent is one line of a get/put NDJSON stream: progress, then a
// last line with Done and Result or Error (read back as
// apitypes.TransferEvent).
type TransferEvent struct {
	Name   string     `json:"name,omitempty"`
	Bytes  int64      `json:"bytes,omitempty"`
	Total  int64      `json:"total,omitempty"`
	Done   bool       `json:"done,omitempty"`
	Result *Result    `json:"result,omitempty"`
	Error  *api.Error `json:"error,omitempty"`
}

// Routes declares the sharing endpoints on the control API: this node's
// share list (/v1/shares) and the files of members' shares (/v1/files).
func (svc *Service) Routes(s *api.Server) {
	svc.shareListRoutes(s)
	svc.filesRoutes(s)
}

// shareListRoutes declares /v1/shares: this node's shares.
func (svc *Service) shareListRoutes(s *api.Server) {
	api.Handle(s, "GET /v1/shares", "This node's shares with their access lists",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Config, error) {
			l, err := svc.Configs().List(ctx)
			if l == nil {
				l = []Config{}
			}
			return l, err
		})
	api.Handle(s, "POST /v1/shares", "Share a local folder with a workgroup",
		func(ctx context.Context, r *http.Request, req apitypes.ShareAddRequest) (Config, error) {
			info, err := workgroup.Resolve(svc.dir, req.Workgroup)
			if err != nil {
				return Config{}, api.BadRequest("%v", err)
			}
			rules, err := parseRules(req.Allow)
			if err != nil {
				return Config{}, err
			}
			if !filepath.IsAbs(req.Path) {
				return Config{}, api.BadRequest("path %q must be absolute", req.Path)
			}
			if svc.keepOut != "" && overlaps(req.Path, svc.keepOut) {
				return Config{}, api.BadRequest("%s holds or is inside the node's state folder %s (its keys): share another folder", req.Path, svc.keepOut)
			}
			warn, err := svc.checkRuleNames(info.ID, rules, req.Force)
			if err != nil {
				return Config{}, err
			}
			cfg, err := svc.Configs().Add(ctx, Config{Name: req.Name, Workgroup: info.ID, Path: req.Path, Rules: rules})
			if errors.Is(err, ErrExists) {
				return cfg, api.Conflict("%v", err)
			}
			if store.IsFull(err) {
				return cfg, api.NoSpace(err)
			}
			if err != nil {
				return cfg, api.BadRequest("%v", err)
			}
			cfg.Warnings = append(warn, svc.contradictions(ctx, cfg)...)
			return cfg, nil
		})
	api.Handle(s, "PUT /v1/shares/{name}/access", "Replace a share's access list",
		func(ctx context.Context, r *http.Request, req apitypes.ShareSetRequest) (Config, error) {
			rules, err := parseRules(req.Allow)
			if err != nil {
				return Config{}, err
			}
			if len(rules) == 0 {
				return Config{}, api.BadRequest("give at least one --allow WHO[=ro|rw|none]")
			}
			name := r.PathValue("name")
			old, err := svc.Configs().Get(ctx, name)
			if err != nil {
				return Config{}, apiError(err)
			}
			warn, err := svc.checkRuleNames(old.Workgroup, rules, req.Force)
			if err != nil {
				return Config{}, err
			}
			if err := svc.Configs().SetRules(ctx, name, rules); err != nil {
				return Config{}, apiError(err)
			}
			cfg, err := svc.Configs().Get(ctx, name)
			if err == nil {
				cfg.Warnings = append(warn, svc.contradictions(ctx, cfg)...)
			}
			return cfg, err
		})
	api.Handle(s, "DELETE /v1/shares/{name}", "Stop sharing a folder (its files stay)",
		func(ctx context.Context, r *http.Request, _ api.Empty) (api.Empty, error) {
			return api.Empty{}, apiError(svc.Configs().Remove(ctx, r.PathValue("name")))
		})
}

// filesRoutes declares /v1/files: the files of members' shares.
func (svc *Service) filesRoutes(s *api.Server) {
	api.Handle(s, "GET /v1/files/ls", "List NODE:SHARE/path (a folder's entries, a file's details, or NODE: for its shares)",
		func(ctx context.Context, r *http.Request, _ api.Empty) (LsResult, error) {
			return filesLs(ctx, svc, r.URL.Query().Get("target"), r.URL.Query().Get("workgroup"))
		}, "target", "workgroup")
	api.Handle(s, "POST /v1/files/mkdir", "Create a folder in a remote share",
		func(ctx context.Context, r *http.Request, req apitypes.FilesRequest) (api.Empty, error) {
			c, t, _, err := remote(ctx, svc, req.Target, req.Workgroup, "")
			if err != nil {
				return api.Empty{}, err
			}
			return api.Empty{}, apiError(filesErr(t, c.Mkdir(ctx, t.Share, t.Path)))
		})
	api.Handle(s, "POST /v1/files/rm", "Remove a file or (recursive) a folder in a remote share",
		func(ctx context.Context, r *http.Request, req apitypes.FilesRequest) (api.Empty, error) {
			c, t, _, err := remote(ctx, svc, req.Target, req.Workgroup, "")
			if err != nil {
				return api.Empty{}, err
			}
			return api.Empty{}, apiError(filesErr(t, c.Remove(ctx, t.Share, t.Path, req.Recursive)))
		})
	api.Handle(s, "POST /v1/files/mv", "Rename or move inside a remote share",
		func(ctx context.Context, r *http.Request, req apitypes.FilesRequest) (api.Empty, error) {
			c, t, _, err := remote(ctx, svc, req.Target, req.Workgroup, "")
			if err != nil {
				return api.Empty{}, err
			}
			to := req.To
			if tt, err := ParseTarget(req.To); err == nil {
				if tt.Node != t.Node || tt.Share != t.Share {
					return api.Empty{}, api.BadRequest("mv works inside one share; %s and %s differ", t, tt)
				}
				to = tt.Path
			}
			// The destination rule of get and put (dest.go): into a
			// folder written with a trailing / (created if missing) or
			// that exists, under the source's own name.
			typed := to
			if FolderSyntax(req.To) {
				typed += "/"
			}
			to, err = Dest(remoteFS{ctx, c, t.Share}, typed, path.Base(t.Path), path.Join)
			if err != nil {
				return api.Empty{}, apiError(err)
			}
			return api.Empty{}, apiError(filesErr(t, c.Rename(ctx, t.Share, t.Path, to)))
		})
	api.HandleRaw(s, "POST /v1/files/get", "Download NODE:SHARE/path to a local path (NDJSON progress stream)",
		func(w http.ResponseWriter, r *http.Request) { transfer(w, r, svc, false) })
	api.HandleRaw(s, "POST /v1/files/put", "Upload a local path to NODE:SHARE/path (NDJSON progress stream)",
		func(w http.ResponseWriter, r *http.Request) { transfer(w, r, svc, true) })
	api.HandleRaw(s, "GET /v1/files/content", "A file of NODE:SHARE/path as the response body (an attachment; for the web UI)",
		func(w http.ResponseWriter, r *http.Request) { serveContent(w, r, svc) }, "target", "workgroup")
	api.HandleRaw(s, "PUT /v1/files/content", "Write the request body (Content-Length required; Content-Range to resume a cut upload) to NODE:SHARE/path; answers the new entry",
		func(w http.ResponseWriter, r *http.Request) { putContent(w, r, svc) }, "target", "workgroup", "mtime_ms")
	api.Handle(s, "GET /v1/files/resume", "Where an upload of NODE:SHARE/path (size, mtime_ms) cut earlier resumes: PUT /v1/files/content the rest with Content-Range",
		func(ctx context.Context, r *http.Request, _ api.Empty) (ResumeReply, error) {
			return serveResume(ctx, r, svc)
		}, "target", "workgroup", "size", "mtime_ms")
	api.HandleRaw(s, "GET /v1/files/zip", "The folder NODE:SHARE/path as a zip stream (an attachment; for the web UI)",
		func(w http.ResponseWriter, r *http.Request) { serveZip(w, r, svc) }, "target", "workgroup")
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

func parseRules(allow []string) ([]Rule, error) {
	var rules []Rule
	for _, a := range allow {
		r, err := ParseRule(a)
		if err != nil {
			return nil, api.BadRequest("%v", err)
		}
		rules = MergeRules(rules, []Rule{r})
	}
	return rules, nil
}

// apiError maps the share package's errors to API errors.
func apiError(err error) error {
	var re *RemoteError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoShare), errors.Is(err, ErrNotFound), errors.Is(err, os.ErrNotExist):
		return api.NotFound("%v", err)
	case errors.Is(err, ErrForbidden):
		return api.Forbidden("%v", err)
	case errors.Is(err, ErrBadPath):
		return api.BadRequest("%v", err)
	case errors.Is(err, ErrFileExists):
		return api.Errorf(http.StatusConflict, "exists", "%v", err)
	case errors.Is(err, ErrOffline):
		return api.Errorf(http.StatusServiceUnavailable, "offline", "%v", err)
	case errors.Is(err, ErrNoSpace):
		return api.Errorf(http.StatusInsufficientStorage, "no_space", "%v", err)
	case store.IsFull(err): // this node's own database or disk
		return api.NoSpace(err)
	case errors.As(err, &re) && re.Code == "conflict":
		return api.Conflict("%v", err)
	case errors.As(err, &re) && re.Code == "is_dir":
		return api.BadRequest("%v", err)
	}
	return api.Unavailable("%v", err)
}

// remote resolves target's member and makes sure it is reachable
// (reach: an offline member is told within reachTimeout, with do as the
// advice; "" for "try again when it is online").
func remote(ctx context.Context, svc *Service, target, wg, do string) (*Client, Target, workgroup.Member, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return nil, t, workgroup.Member{}, api.BadRequest("%v", err)
	}
	if t.Share == "" {
		return nil, t, workgroup.Member{}, api.BadRequest("%q names no share: want NODE:SHARE/path", target)
	}
	c, m, err := svc.Remote(wg, t.Node)
	if err != nil {
		return nil, t, m, apiError(err)
	}
	if do == "" {
		do = tryLater
	}
	if err := svc.reach(ctx, m, do); err != nil {
		return nil, t, m, apiError(err)
	}
	return c, t, m, nil
}

// tryLater is the advice for an offline member when nothing can wait
// for it.
const tryLater = "try again when it is online (peerhood browse shows who is)"

func filesLs(ctx context.Context, svc *Service, target, wg string) (LsResult, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return LsResult{}, api.BadRequest("%v", err)
	}
	res := LsResult{Target: t.String()}
	if svc.IsSelf(wg, t.Node) {
		return lsLocal(ctx, svc, t)
	}
	c, m, err := svc.Remote(wg, t.Node)
	if err != nil {
		return res, apiError(err)
	}
	if err := svc.reach(ctx, m, tryLater); err != nil {
		return res, apiError(err)
	}
	if t.Share == "" {
		res.Shares, err = c.Shares(ctx)
		if res.Shares == nil {
			res.Shares = []ShareInfo{}
		}
		return res, apiError(err)
	}
	e, err := c.Stat(ctx, t.Share, t.Path)
	if err != nil {
		return res, apiError(filesErr(t, err))
	}
	if !e.Dir {
		res.Entry = &e
		return res, nil
	}
	res.Entries, err = c.ReadDir(ctx, t.Share, t.Path)
	if res.Entries == nil {
		res.Entries = []Entry{}
	}
	return res, apiError(filesErr(t, err))
}

// lsLocal lists one of this node's own shares.
func lsLocal(ctx context.Context, svc *Service, t Target) (LsResult, error) {
	res := LsResult{Target: t.String()}
	if t.Share == "" {
		all, err := svc.Configs().List(ctx)
		for _, c := range all {
			res.Shares = append(res.Shares, ShareInfo{Name: c.Name, Workgroup: c.Workgroup, Right: ReadWrite})
		}
		return res, err
	}
	l, _, err := svc.OpenShare(ctx, t.Share)
	if err != nil {
		return res, apiError(err)
	}
	defer l.Close()
	e, err := l.Stat(t.Path)
	if err != nil {
		return res, apiError(filesErr(t, err))
	}
	if !e.Dir {
		res.Entry = &e
		return res, nil
	}
	res.Entries = []Entry{}
	err = l.ReadDir(t.Path, 0, func(es []Entry) error { res.Entries = append(res.Entries, es...); return nil })
	return res, apiError(filesErr(t, err))
}

// transfer runs a get or put for the CLI: the node itself reads or writes
// the local path (the CLI runs on this machine as the same user; the
// control socket is 0600), so file bodies never cross the control API.
// Progress goes back as NDJSON lines, at most ten a second.
func transfer(w http.ResponseWriter, r *http.Request, svc *Service, put bool) {
	var req apitypes.FilesRequest
	if err := api.DecodeBody(http.MaxBytesReader(w, r.Body, api.MaxRequestBody), &req); err != nil {
		api.WriteError(w, api.BadRequest("request body: %v", err))
		return
	}
	if !filepath.IsAbs(req.Local) {
		api.WriteError(w, api.BadRequest("local path %q must be absolute", req.Local))
		return
	}
	do := "" // a put can wait for the member: queue it as a copy
	if put {
		do = queueAdvice(req)
	}
	c, t, m, err := remote(r.Context(), svc, req.Target, req.Workgroup, do)
	if err != nil {
		api.WriteError(w, err)
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
	opts := TransferOptions{Digests: svc.Digests(), Events: svc.configs.events, Workgroup: m.Workgroup, Progress: func(name string, done, total int64) {
		// A folder's files each end, but a line per file is a write and
		// a parse per file for a progress bar: trees keep to ten a second.
		if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || (done == total && !req.Recursive) {
			last = now
			emit(TransferEvent{Name: name, Bytes: done, Total: total})
		}
	}}
	ctx := r.Context()
	var res Result
	local := req.Local
	dst, err := transferDest(ctx, c, t, req, put)
	switch {
	case err != nil:
	case put && req.Recursive:
		res, err = PutTree(ctx, c, local, t.Share, dst, opts)
	case put:
		res, err = PutFile(ctx, c, local, t.Share, dst, opts)
	case req.Recursive:
		res, err = GetTree(ctx, c, t.Share, t.Path, dst, opts)
	default:
		res, err = GetFile(ctx, c, t.Share, t.Path, dst, opts)
	}
	svc.metrics.countTransfer(put, res, err)
	ev := TransferEvent{Done: true, Result: &res}
	if err != nil {
		ev.Error = api.AsError(apiError(transferErr(t, err)))
	}
	emit(ev)
}
