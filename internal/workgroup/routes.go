package workgroup

import (
	"context"
	"net/http"
	"time"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
)

// JoinResult is the joined workgroup and this node's membership (read
// back as apitypes.JoinResult).
type JoinResult struct {
	Workgroup Info   `json:"workgroup"`
	Member    Member `json:"member"`
}

// apiError turns a workgroup error into an API error.
func apiError(err error) error {
	code := CodeOf(err)
	status := map[string]int{
		CodeBadRequest:    http.StatusBadRequest,
		CodeMalformed:     http.StatusBadRequest,
		CodeNotFound:      http.StatusNotFound,
		CodeConflict:      http.StatusConflict,
		CodeNameTaken:     http.StatusConflict,
		CodeForbidden:     http.StatusForbidden,
		CodeInviteExpired: http.StatusForbidden,
		CodeInviteUsed:    http.StatusForbidden,
		CodeInviteUnknown: http.StatusForbidden,
		CodeUnavailable:   http.StatusServiceUnavailable,
	}[code]
	if status == 0 {
		return err // a full disk: 507 no_space (the daemon's api.Server.SetFull)
	}
	return api.Errorf(status, code, "%s", err.Error())
}

// Routes declares the workgroup endpoints on the control API.
func (s *Service) Routes(srv *api.Server) {
	api.Handle(srv, "POST /v1/workgroups", "Create a workgroup with a new root key; this node becomes its first admin",
		func(ctx context.Context, r *http.Request, req apitypes.CreateWorkgroupRequest) (Info, error) {
			info, err := s.CreateNamed(ctx, req.Name, req.Force)
			return info, apiError(err)
		})
	api.Handle(srv, "GET /v1/workgroups", "The workgroups this node is in",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]apitypes.WorkgroupSummary, error) {
			out := []apitypes.WorkgroupSummary{}
			for _, w := range s.List() {
				if w.Removed != nil {
					out = append(out, RemovalSummary(*w.Removed, w.Members))
					continue
				}
				out = append(out, apitypes.WorkgroupSummary{ID: w.ID, Name: w.Name, Members: w.Members, Admin: w.Admin})
			}
			return out, nil
		})
	api.Handle(srv, "POST /v1/workgroups/leave", "Leave a workgroup: stop using it and delete its local state (roster, invites)",
		func(ctx context.Context, r *http.Request, req apitypes.LeaveWorkgroupRequest) (Info, error) {
			info, err := s.Leave(ctx, req.Workgroup, req.Force)
			return info, apiError(err)
		})
	api.Handle(srv, "POST /v1/workgroups/rename", "Rename a workgroup (admins only): a signed name item every member takes; the ID stays",
		func(ctx context.Context, r *http.Request, req apitypes.RenameWorkgroupRequest) (Info, error) {
			info, err := s.Rename(ctx, req.Workgroup, req.Name, req.Force)
			return info, apiError(err)
		})
	api.Handle(srv, "POST /v1/invites", "Make an invite token (admins only)", s.inviteRoute)
	api.Handle(srv, "POST /v1/join", "Join a workgroup with an invite token",
		func(ctx context.Context, r *http.Request, req apitypes.JoinRequest) (JoinResult, error) {
			if req.Token == "" {
				return JoinResult{}, api.BadRequest("token is required")
			}
			if t, err := ParseToken(req.Token); err == nil {
				if err := s.checkNameFree(t.Name, t.Workgroup, req.Force); err != nil {
					return JoinResult{}, apiError(err)
				}
			}
			info, m, err := s.Join(ctx, req.Token, req.Name)
			if err != nil {
				return JoinResult{}, apiError(err)
			}
			return JoinResult{Workgroup: info, Member: m}, nil
		})
	api.Handle(srv, "GET /v1/members", "Members of a workgroup (?workgroup=name, ID or ID prefix; default: the only one)",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Member, error) {
			ms, err := s.Members(r.URL.Query().Get("workgroup"))
			if err != nil {
				return nil, apiError(err)
			}
			if ms == nil {
				ms = []Member{}
			}
			return ms, nil
		}, "workgroup")
	api.Handle(srv, "DELETE /v1/members/{name}", "Remove a member (admins only): a signed revocation, gossiped to every member",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Member, error) {
			m, err := s.Remove(ctx, r.URL.Query().Get("workgroup"), r.PathValue("name"))
			return m, apiError(err)
		}, "workgroup")
	api.Handle(srv, "POST /v1/members/{name}/groups", "Change a member's groups (admins only): its certificate is reissued with them and gossiped; share rules group:G apply to it",
		func(ctx context.Context, r *http.Request, req apitypes.MemberGroupsRequest) (Member, error) {
			if !req.Replace && len(req.Add)+len(req.Remove) == 0 {
				return Member{}, api.BadRequest("no group to add or remove (or replace with set)")
			}
			if req.Replace && len(req.Add)+len(req.Remove) > 0 {
				return Member{}, api.BadRequest("replace takes set only, not add or remove")
			}
			m, err := s.SetGroups(ctx, req.Workgroup, r.PathValue("name"),
				GroupChange{Replace: req.Replace, Set: req.Set, Add: req.Add, Remove: req.Remove})
			return m, apiError(err)
		})
}

func (s *Service) inviteRoute(ctx context.Context, r *http.Request, req apitypes.InviteRequest) (apitypes.InviteResult, error) {
	var ttl time.Duration
	if req.Expires != "" {
		d, err := apitypes.ParseDuration(req.Expires)
		if err != nil {
			return apitypes.InviteResult{}, api.BadRequest("expires: %v", err)
		}
		if d <= 0 {
			return apitypes.InviteResult{}, api.BadRequest("expires %q: must be positive", req.Expires)
		}
		ttl = d
	}
	if req.Uses < 0 {
		return apitypes.InviteResult{}, api.BadRequest("uses %d: must be 1 or more", req.Uses)
	}
	res, err := s.Invite(ctx, InviteOptions{Workgroup: req.Workgroup, TTL: ttl, Uses: req.Uses, Admin: req.Admin, Mailbox: req.Mailbox})
	if err != nil {
		return apitypes.InviteResult{}, apiError(err)
	}
	return apitypes.InviteResult{Token: res.Token, Workgroup: res.Workgroup.ID, Expires: res.Expires.UTC(), Uses: res.Uses}, nil
}

// RemovalSummary is how a workgroup this node was removed from is listed
// (workgroup ls, and status's removed).
func RemovalSummary(rm Removal, members int) apitypes.WorkgroupSummary {
	ws := apitypes.WorkgroupSummary{ID: rm.Workgroup.ID, Name: rm.Workgroup.Name, Members: members,
		Removed: rm.String(), RemovedBy: rm.By}
	if !rm.At.IsZero() {
		ws.RemovedAt = &rm.At
	}
	return ws
}
