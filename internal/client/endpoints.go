package client

import (
	"context"

	t "github.com/peerhood/peerhood/internal/apitypes"
)

// Status is GET /v1/status.
func (c *Client) Status(ctx context.Context) (t.Status, error) {
	return call[t.Status](ctx, c, get, "/v1/status", nil)
}

// Peers is GET /v1/peers.
func (c *Client) Peers(ctx context.Context) ([]t.PeerInfo, error) {
	return call[[]t.PeerInfo](ctx, c, get, "/v1/peers", nil)
}

// Connect is POST /v1/connect.
func (c *Client) Connect(ctx context.Context, addr string) (t.ConnectResult, error) {
	return call[t.ConnectResult](ctx, c, post, "/v1/connect", t.ConnectRequest{Addr: addr})
}

// Version is GET /v1/version.
func (c *Client) Version(ctx context.Context) (t.VersionInfo, error) {
	return call[t.VersionInfo](ctx, c, get, "/v1/version", nil)
}

// Shutdown is POST /v1/shutdown.
func (c *Client) Shutdown(ctx context.Context) error {
	_, err := call[t.Empty](ctx, c, post, "/v1/shutdown", nil)
	return err
}

// CreateWorkgroup is POST /v1/workgroups.
func (c *Client) CreateWorkgroup(ctx context.Context, name string) (t.Workgroup, error) {
	return call[t.Workgroup](ctx, c, post, "/v1/workgroups", t.CreateWorkgroupRequest{Name: name})
}

// Workgroups is GET /v1/workgroups.
func (c *Client) Workgroups(ctx context.Context) ([]t.WorkgroupSummary, error) {
	return call[[]t.WorkgroupSummary](ctx, c, get, "/v1/workgroups", nil)
}

// Invite is POST /v1/invites.
func (c *Client) Invite(ctx context.Context, req t.InviteRequest) (t.InviteResult, error) {
	return call[t.InviteResult](ctx, c, post, "/v1/invites", req)
}

// Join is POST /v1/join.
func (c *Client) Join(ctx context.Context, req t.JoinRequest) (t.JoinResult, error) {
	return call[t.JoinResult](ctx, c, post, "/v1/join", req)
}

// Members is GET /v1/members (wg "": the only workgroup).
func (c *Client) Members(ctx context.Context, wg string) ([]t.Member, error) {
	return call[[]t.Member](ctx, c, get, withQuery("/v1/members", "workgroup", wg), nil)
}

// RemoveMember is DELETE /v1/members/{name}.
func (c *Client) RemoveMember(ctx context.Context, wg, name string) (t.Member, error) {
	return call[t.Member](ctx, c, del, withQuery("/v1/members/"+seg(name), "workgroup", wg), nil)
}

// MemberGroups is POST /v1/members/{name}/groups.
func (c *Client) MemberGroups(ctx context.Context, name string, req t.MemberGroupsRequest) (t.Member, error) {
	return call[t.Member](ctx, c, post, "/v1/members/"+seg(name)+"/groups", req)
}

// Browse is GET /v1/browse (wg "": the only workgroup).
func (c *Client) Browse(ctx context.Context, wg string) ([]t.BrowseEntry, error) {
	return call[[]t.BrowseEntry](ctx, c, get, withQuery("/v1/browse", "workgroup", wg), nil)
}

// Presence is GET /v1/presence.
func (c *Client) Presence(ctx context.Context) (t.PresenceStatus, error) {
	return call[t.PresenceStatus](ctx, c, get, "/v1/presence", nil)
}

// SetPresence is POST /v1/presence.
func (c *Client) SetPresence(ctx context.Context, req t.PresenceRequest) (t.PresenceStatus, error) {
	return call[t.PresenceStatus](ctx, c, post, "/v1/presence", req)
}

// Logon is POST /v1/logon.
func (c *Client) Logon(ctx context.Context) (t.PresenceStatus, error) {
	return call[t.PresenceStatus](ctx, c, post, "/v1/logon", nil)
}

// Logoff is POST /v1/logoff.
func (c *Client) Logoff(ctx context.Context) (t.PresenceStatus, error) {
	return call[t.PresenceStatus](ctx, c, post, "/v1/logoff", nil)
}

// MountInfo is GET /v1/mount-info.
func (c *Client) MountInfo(ctx context.Context) (t.MountInfo, error) {
	return call[t.MountInfo](ctx, c, get, "/v1/mount-info", nil)
}

// CreateWorkgroupWith is POST /v1/workgroups with every option.
func (c *Client) CreateWorkgroupWith(ctx context.Context, req t.CreateWorkgroupRequest) (t.Workgroup, error) {
	return call[t.Workgroup](ctx, c, post, "/v1/workgroups", req)
}

// LeaveWorkgroup is POST /v1/workgroups/leave.
func (c *Client) LeaveWorkgroup(ctx context.Context, req t.LeaveWorkgroupRequest) (t.Workgroup, error) {
	return call[t.Workgroup](ctx, c, post, "/v1/workgroups/leave", req)
}

// RenameWorkgroup is POST /v1/workgroups/rename.
func (c *Client) RenameWorkgroup(ctx context.Context, req t.RenameWorkgroupRequest) (t.Workgroup, error) {
	return call[t.Workgroup](ctx, c, post, "/v1/workgroups/rename", req)
}
