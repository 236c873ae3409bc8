package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/davfs"
	"github.com/peerhood/peerhood/internal/store"
)

// davfsAddrEnv overrides the WebDAV address ("off" disables the server);
// the setting webdav.addr in the database does the same durably.
const davfsAddrEnv = "PEERHOOD_WEBDAV_ADDR"

// startDavfs serves the node's namespace over WebDAV on the loopback and
// adds GET /v1/mount-info. When the default port is taken (another node
// on this machine), it falls back to a free port: mount-info tells which.
func (n *Node) startDavfs(ctx context.Context, backend *api.Backend) error {
	addr, explicit, err := n.davfsAddr(ctx)
	if err != nil {
		return err
	}
	if addr == "off" {
		n.log.Info("webdav server disabled", "by", davfsAddrEnv)
		backend.Extra = append(backend.Extra, func(s *api.Server) { api.DavfsRoutes(s, nil) })
		return nil
	}
	token, err := davfs.LoadOrCreateToken(n.Home())
	if err != nil {
		return err
	}
	b, err := n.davfsBackend()
	if err != nil {
		return err
	}
	srv, err := davfs.Listen(addr, b, token, n.log)
	if err != nil && !explicit && errors.Is(err, syscall.EADDRINUSE) {
		n.log.Warn("webdav default port taken; using a free port (see peerhood mount-info)", "addr", addr)
		srv, err = davfs.Listen("127.0.0.1:0", b, token, n.log)
	}
	if err != nil {
		return err
	}
	n.closers = append(n.closers, srv.Close)
	n.log.Info("webdav server listening", "url", srv.URL())
	info := davfs.NewMountInfo(srv.URL(), token)
	backend.Extra = append(backend.Extra, func(s *api.Server) {
		api.DavfsRoutes(s, func() davfs.MountInfo { return info })
	})
	return nil
}

// davfsBackend is what the WebDAV server serves: the node's own shares
// and every member's, through the share service (started before).
func (n *Node) davfsBackend() (davfs.Backend, error) {
	if n.share == nil {
		local := davfs.NewLocalBackend(n.Name())
		n.closers = append(n.closers, local.Close)
		return local, nil
	}
	b, err := davfs.NewShareBackend(n.share, n.Name(), filepath.Join(n.Home(), "spool", "webdav"))
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, b.Close)
	return b, nil
}

func (n *Node) davfsAddr(ctx context.Context) (addr string, explicit bool, err error) {
	if v := strings.TrimSpace(os.Getenv(davfsAddrEnv)); v != "" {
		return v, true, nil
	}
	v, err := n.db.Setting(ctx, "webdav.addr")
	if err == nil && v != "" {
		return v, true, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", false, fmt.Errorf("webdav address: %w", err)
	}
	return "127.0.0.1:" + strconv.Itoa(davfs.DefaultPort), false, nil
}
