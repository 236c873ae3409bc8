package api

import (
	"context"
	"net/http"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// MemberGroupsRequest changes a member's groups (admins only). With
// replace, the member's groups become exactly set; else add and remove
// are applied to its current groups.
type MemberGroupsRequest struct {
	Workgroup string   `json:"workgroup,omitempty"` // name, ID or ID prefix; empty: the only one
	Add       []string `json:"add,omitempty"`
	Remove    []string `json:"remove,omitempty"`
	Replace   bool     `json:"replace,omitempty"`
	Set       []string `json:"set,omitempty"`
}

// memberGroupRoutes declares the group endpoint.
func memberGroupRoutes(s *Server, svc *workgroup.Service) {
	Handle(s, "POST /v1/members/{name}/groups", "Change a member's groups (admins only): its certificate is reissued with them and gossiped; share rules group:G apply to it",
		func(ctx context.Context, r *http.Request, req MemberGroupsRequest) (workgroup.Member, error) {
			if !req.Replace && len(req.Add)+len(req.Remove) == 0 {
				return workgroup.Member{}, BadRequest("no group to add or remove (or replace with set)")
			}
			if req.Replace && len(req.Add)+len(req.Remove) > 0 {
				return workgroup.Member{}, BadRequest("replace takes set only, not add or remove")
			}
			m, err := svc.SetGroups(ctx, req.Workgroup, r.PathValue("name"),
				workgroup.GroupChange{Replace: req.Replace, Set: req.Set, Add: req.Add, Remove: req.Remove})
			return m, wgError(err)
		})
}
