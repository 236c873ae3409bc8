package api

import (
	"context"
	"net/http"

	"github.com/peerhood/peerhood/internal/davfs"
)

// DavfsRoutes declares GET /v1/mount-info. The reply holds the WebDAV
// password: the control socket is readable by the node's user only.
// info nil means the WebDAV server is switched off.
func DavfsRoutes(s *Server, info func() davfs.MountInfo) {
	Handle(s, "GET /v1/mount-info", "WebDAV URL, credentials and mount commands for davfs2, rclone, cadaver, Windows and macOS",
		func(ctx context.Context, r *http.Request, _ Empty) (davfs.MountInfo, error) {
			if info == nil {
				return davfs.MountInfo{}, Unavailable("the WebDAV server is off (PEERHOOD_WEBDAV_ADDR=off or setting webdav.addr=off)")
			}
			return info(), nil
		})
}
