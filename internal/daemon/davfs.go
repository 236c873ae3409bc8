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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/davfs"
	"github.com/peerhood/peerhood/internal/store"
)

// davfsAddrEnv overrides the WebDAV address ("off" disables the server);
// the setting webdav.addr in the database does the same durably.
const davfsAddrEnv = "PEERHOOD_WEBDAV_ADDR"

// davfsModule serves the node's namespace over WebDAV on the loopback
// and declares GET /v1/mount-info. When the default port is taken
// (another node on this machine), it falls back to a free port:
// mount-info tells which.
func (n *Node) davfsModule(ctx context.Context) (Module, error) {
	addr, explicit, err := n.davfsAddr(ctx)
	if err != nil {
		return nil, err
	}
	if addr == "off" {
		n.log.Info("webdav server disabled", "by", davfsAddrEnv)
		return &davfsModule{}, nil
	}
	token, err := davfs.LoadOrCreateToken(n.Home())
	if err != nil {
		return nil, err
	}
	// What the WebDAV server serves: the node's own shares and every
	// member's, through the share service.
	b, err := davfs.NewShareBackend(n.share, n.Name(), filepath.Join(n.Home(), "spool", "webdav"))
	if err != nil {
		return nil, err
	}
	srv, err := davfs.Listen(addr, b, token, n.log)
	if err != nil && !explicit && errors.Is(err, syscall.EADDRINUSE) {
		n.log.Warn("webdav default port taken; using a free port (see peerhood mount-info; "+davfsAddrEnv+" chooses one)", "addr", addr)
		srv, err = davfs.Listen("127.0.0.1:0", b, token, n.log)
	}
	if err != nil && errors.Is(err, syscall.EADDRINUSE) {
		err = fmt.Errorf("webdav address %s is in use (another program, or another node on this machine): set %s to another address, 127.0.0.1:0 for any free port or off for no WebDAV: %w", addr, davfsAddrEnv, err)
	}
	if err != nil {
		return nil, errors.Join(err, b.Close())
	}
	n.log.Info("webdav server listening", "url", srv.URL())
	info := davfs.NewMountInfo(srv.URL(), token)
	return &davfsModule{info: &info, srv: srv, backend: b}, nil
}

// davfsModule is the WebDAV server and its backend (none when off).
type davfsModule struct {
	info    *davfs.MountInfo
	srv     *davfs.Server
	backend *davfs.ShareBackend
}

func (m *davfsModule) Routes(s *api.Server) { davfs.Routes(s, m.info) }

// Collectors are the WebDAV server's metrics (none when it is off).
func (m *davfsModule) Collectors() []prometheus.Collector {
	if m.srv == nil {
		return nil
	}
	return m.srv.Collectors()
}

// Close stops the server, then its backend.
func (m *davfsModule) Close() error {
	if m.srv == nil {
		return nil
	}
	return errors.Join(m.srv.Close(), m.backend.Close())
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
