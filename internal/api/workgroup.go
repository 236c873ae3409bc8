package api

import (
	"context"
	"net/http"
	"time"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// CreateWorkgroupRequest creates a workgroup.
type CreateWorkgroupRequest struct {
	Name string `json:"name"`
}

// WorkgroupSummary is one workgroup this node is in.
type WorkgroupSummary struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Members int    `json:"members"`
	Admin   bool   `json:"admin"`
}

// InviteRequest asks for an invite token.
type InviteRequest struct {
	Workgroup string `json:"workgroup,omitempty"` // name, ID or ID prefix; empty: the only one
	Expires   string `json:"expires,omitempty"`   // Go duration, e.g. "24h" (default)
	Uses      int    `json:"uses,omitempty"`      // default 1
	Admin     bool   `json:"admin,omitempty"`
	Mailbox   bool   `json:"mailbox,omitempty"`
}

// InviteResult is a new invite.
type InviteResult struct {
	Token     string    `json:"token"`
	Workgroup string    `json:"workgroup"` // workgroup ID
	Expires   time.Time `json:"expires"`
	Uses      int       `json:"uses"`
}

// JoinRequest joins a workgroup with an invite token.
type JoinRequest struct {
	Token string `json:"token"`
	Name  string `json:"name,omitempty"` // default: the node's name
}

// JoinResult is the joined workgroup and this node's membership.
type JoinResult struct {
	Workgroup workgroup.Info   `json:"workgroup"`
	Member    workgroup.Member `json:"member"`
}

// wgError turns a workgroup error into an API error.
func wgError(err error) error {
	code := workgroup.CodeOf(err)
	status := map[string]int{
		workgroup.CodeBadRequest:    http.StatusBadRequest,
		workgroup.CodeMalformed:     http.StatusBadRequest,
		workgroup.CodeNotFound:      http.StatusNotFound,
		workgroup.CodeConflict:      http.StatusConflict,
		workgroup.CodeNameTaken:     http.StatusConflict,
		workgroup.CodeForbidden:     http.StatusForbidden,
		workgroup.CodeInviteExpired: http.StatusForbidden,
		workgroup.CodeInviteUsed:    http.StatusForbidden,
		workgroup.CodeInviteUnknown: http.StatusForbidden,
		workgroup.CodeUnavailable:   http.StatusServiceUnavailable,
	}[code]
	if status == 0 {
		return err
	}
	return Errorf(status, code, "%s", err.Error())
}

// WorkgroupRoutes declares the workgroup endpoints.
func WorkgroupRoutes(s *Server, svc *workgroup.Service) {
	Handle(s, "POST /v1/workgroups", "Create a workgroup with a new root key; this node becomes its first admin",
		func(ctx context.Context, r *http.Request, req CreateWorkgroupRequest) (workgroup.Info, error) {
			info, err := svc.Create(ctx, req.Name)
			return info, wgError(err)
		})
	Handle(s, "GET /v1/workgroups", "The workgroups this node is in",
		func(ctx context.Context, r *http.Request, _ Empty) ([]WorkgroupSummary, error) {
			out := []WorkgroupSummary{}
			for _, w := range svc.List() {
				out = append(out, WorkgroupSummary{ID: w.ID, Name: w.Name, Members: w.Members, Admin: w.Admin})
			}
			return out, nil
		})
	Handle(s, "POST /v1/invites", "Make an invite token (admins only)",
		func(ctx context.Context, r *http.Request, req InviteRequest) (InviteResult, error) {
			var ttl time.Duration
			if req.Expires != "" {
				d, err := time.ParseDuration(req.Expires)
				if err != nil {
					return InviteResult{}, BadRequest("expires %q: a duration such as 24h or 30m", req.Expires)
				}
				if d <= 0 {
					return InviteResult{}, BadRequest("expires %q: must be positive", req.Expires)
				}
				ttl = d
			}
			if req.Uses < 0 {
				return InviteResult{}, BadRequest("uses %d: must be 1 or more", req.Uses)
			}
			res, err := svc.Invite(ctx, workgroup.InviteOptions{Workgroup: req.Workgroup, TTL: ttl, Uses: req.Uses, Admin: req.Admin, Mailbox: req.Mailbox})
			if err != nil {
				return InviteResult{}, wgError(err)
			}
			return InviteResult{Token: res.Token, Workgroup: res.Workgroup.ID, Expires: res.Expires.UTC(), Uses: res.Uses}, nil
		})
	Handle(s, "POST /v1/join", "Join a workgroup with an invite token",
		func(ctx context.Context, r *http.Request, req JoinRequest) (JoinResult, error) {
			if req.Token == "" {
				return JoinResult{}, BadRequest("token is required")
			}
			info, m, err := svc.Join(ctx, req.Token, req.Name)
			if err != nil {
				return JoinResult{}, wgError(err)
			}
			return JoinResult{Workgroup: info, Member: m}, nil
		})
	Handle(s, "GET /v1/members", "Members of a workgroup (?workgroup=name, ID or ID prefix; default: the only one)",
		func(ctx context.Context, r *http.Request, _ Empty) ([]workgroup.Member, error) {
			ms, err := svc.Members(r.URL.Query().Get("workgroup"))
			if err != nil {
				return nil, wgError(err)
			}
			if ms == nil {
				ms = []workgroup.Member{}
			}
			return ms, nil
		}, "workgroup")
	Handle(s, "DELETE /v1/members/{name}", "Remove a member (admins only): a signed revocation, gossiped to every member",
		func(ctx context.Context, r *http.Request, _ Empty) (workgroup.Member, error) {
			m, err := svc.Remove(ctx, r.URL.Query().Get("workgroup"), r.PathValue("name"))
			return m, wgError(err)
		}, "workgroup")
	memberGroupRoutes(s, svc)
}
