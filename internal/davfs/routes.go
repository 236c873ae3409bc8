package davfs

import (
	"context"
	"net/http"

	"github.com/peerhood/peerhood/internal/api"
)

// Routes declares GET /v1/mount-info on the control API. The reply holds
// the WebDAV password: the control socket is readable by the node's user
// only. info nil means the WebDAV server is switched off.
func Routes(srv *api.Server, info *MountInfo) {
	api.Handle(srv, "GET /v1/mount-info", "WebDAV URL, credentials and mount commands for davfs2, rclone, cadaver, Windows and macOS",
		func(ctx context.Context, r *http.Request, _ api.Empty) (MountInfo, error) {
			if info == nil {
				return MountInfo{}, api.Unavailable("the WebDAV server is off (PEERHOOD_WEBDAV_ADDR=off or setting webdav.addr=off)")
			}
			return *info, nil
		})
}
