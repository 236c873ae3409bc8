package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/store"
	"github.com/peerhood/peerhood/internal/webui"
)

// uiAddrEnv overrides the web UI's address ("off" disables it); the
// setting ui.addr in the database does the same durably.
const uiAddrEnv = "PEERHOOD_UI_ADDR"

// webuiModule serves the web UI on the loopback, last: its pages call
// every other module's endpoints through the control API's handler, in
// this process. When the default port is taken (another node on this
// machine) it falls back to a free port; `peerhood open` asks which.
func (n *Node) webuiModule(ctx context.Context) (Module, error) {
	addr, explicit, err := n.uiAddr(ctx)
	if err != nil {
		return nil, err
	}
	if addr == "off" {
		n.log.Info("web UI disabled", "by", uiAddrEnv)
		return webuiModule{}, nil
	}
	cfg := webui.Config{Addr: addr, API: n.api.Handler(), Log: n.log.With("svc", "webui")}
	srv, err := webui.Listen(cfg)
	if err != nil && !explicit && errors.Is(err, syscall.EADDRINUSE) {
		n.log.Warn("web UI default port taken; using a free port (see peerhood open --print-url)", "addr", addr)
		cfg.Addr = "127.0.0.1:0"
		srv, err = webui.Listen(cfg)
	}
	if err != nil {
		return nil, err
	}
	n.uiURL = srv.URL()
	n.log.Info("web UI listening", "url", srv.URL())
	return webuiModule{srv: srv}, nil
}

// webuiModule is the web UI's server (none when off).
type webuiModule struct{ srv *webui.Server }

func (m webuiModule) Routes(s *api.Server) { webui.Routes(s, m.srv) }

func (m webuiModule) Close() error {
	if m.srv == nil {
		return nil
	}
	return m.srv.Close()
}

func (n *Node) uiAddr(ctx context.Context) (addr string, explicit bool, err error) {
	if v := strings.TrimSpace(os.Getenv(uiAddrEnv)); v != "" {
		return v, true, nil
	}
	v, err := n.db.Setting(ctx, "ui.addr")
	if err == nil && v != "" {
		return v, true, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", false, fmt.Errorf("web UI address: %w", err)
	}
	return "127.0.0.1:" + strconv.Itoa(webui.DefaultPort), false, nil
}
