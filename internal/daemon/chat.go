package daemon

import (
	"context"

	"github.com/peerhood/peerhood/internal/chat"
)

// chatModule builds chat: rooms over gossipsub with history sync, direct
// messages live or through the spool. PEERHOOD_CHAT_SYNC (a Go duration)
// sets the period of history sync.
func (n *Node) chatModule(context.Context) (Module, error) {
	cfg := chat.Config{
		Host: n.host, DB: n.db, Identity: n.id, Dir: n.dir, Log: n.log, Events: n.events, Spool: n.spool,
		SyncInterval: n.opts.Timings.ChatSync,
	}
	envDur(&cfg.SyncInterval, "PEERHOOD_CHAT_SYNC")
	svc, err := chat.New(cfg)
	n.chat = svc
	return svc, err
}

// Chat is the node's chat service (for the IRC gateway's adapter and
// tests); nil before the node started.
func (n *Node) Chat() *chat.Service { return n.chat }
