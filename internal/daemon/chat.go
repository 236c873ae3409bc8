package daemon

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/chat"
	"github.com/peerhood/peerhood/internal/presence"
	"github.com/peerhood/peerhood/internal/spool"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// chatModule builds chat: rooms over gossipsub with history sync, direct
// messages live or through the spool. PEERHOOD_CHAT_SYNC (a Go duration)
// sets the period of history sync.
func (n *Node) chatModule(context.Context) (Module, error) {
	cfg := chat.Config{
		Host: n.host, DB: n.db, Identity: n.id, Dir: chatDir{n.dir, n.pres}, Log: n.log, Events: n.events, Spool: n.spool,
		SyncInterval: n.opts.Timings.ChatSync,
	}
	if n.spool != nil {
		cfg.Files = chatFiles{n.spool}
	}
	envDur(&cfg.SyncInterval, "PEERHOOD_CHAT_SYNC")
	svc, err := chat.New(cfg)
	n.chat = svc
	if err == nil && n.spool != nil {
		n.spool.OnInboxList(copyOwners(svc))
	}
	return svc, err
}

// Chat is the node's chat service (for the IRC gateway's adapter and
// tests); nil before the node started.
func (n *Node) Chat() *chat.Service { return n.chat }

// chatDir is the directory as chat reads it, with the presence service's
// view of each member (chat.PresenceReader): chat shows presence next to
// names without building on the presence service.
type chatDir struct {
	workgroup.Directory
	pres *presence.Service
}

// Generation is the roster's generation (workgroup.Roster.Generation):
// chat caches access answers under it; ok false when the directory has
// none (nothing cached).
func (d chatDir) Generation() (uint64, bool) {
	g, ok := d.Directory.(interface{ Generation() uint64 })
	if !ok {
		return 0, false
	}
	return g.Generation(), true
}

// PresenceOf is member p's presence in workgroup wg ("" with no presence
// service).
func (d chatDir) PresenceOf(wg string, p peer.ID) string {
	if d.pres == nil {
		return ""
	}
	return d.pres.Of(wg, p).State
}

// chatFiles queues chat attachments as file copies (chat.Files).
type chatFiles struct{ s *spool.Service }

func (f chatFiles) SendFiles(ctx context.Context, wg string, to, paths []string, subject string) ([]string, error) {
	jobs, err := f.s.Send(ctx, spool.SendRequest{Workgroup: wg, To: to, Kind: spool.KindFile, Subject: subject, Paths: paths})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids, nil
}

// Copies lists the received file copies of workgroup wg whose subject is
// one of refs.
func (f chatFiles) Copies(ctx context.Context, wg string, refs []string) ([]chat.Copy, error) {
	items, err := f.s.Inbox(ctx, spool.KindFile, false)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(refs))
	for _, r := range refs {
		want[r] = true
	}
	var out []chat.Copy
	for _, it := range items {
		if it.Workgroup != wg || !want[it.Subject] {
			continue
		}
		c := chat.Copy{ID: it.ID, Subject: it.Subject, Sender: it.Sender, State: it.State}
		for _, fe := range it.Files {
			c.Files = append(c.Files, chat.CopyFile{Path: fe.Path, Size: fe.Size})
		}
		if it.State == spool.ItemAccepted {
			if c.Saved, err = f.s.Accepted(ctx, it.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// SaveCopy accepts received copy id into dest.
func (f chatFiles) SaveCopy(ctx context.Context, id, dest string) ([]string, error) {
	res, err := f.s.Accept(ctx, id, dest)
	return res.Files, err
}

// copyOwners names, in the inbox listing, the chat message whose
// attachments each received copy carries (one lookup per workgroup).
func copyOwners(svc *chat.Service) spool.Describer {
	return func(ctx context.Context, items []spool.Item) {
		asks := map[string][]chat.CopyAsk{}
		for _, it := range items {
			if it.Kind == spool.KindFile && chat.IsAttachmentRef(it.Subject) {
				asks[it.Workgroup] = append(asks[it.Workgroup], chat.CopyAsk{Ref: it.Subject, Sender: it.Sender})
			}
		}
		owners := map[string]chat.CopyOwner{} // by workgroup NUL ref
		for wg, as := range asks {
			found, err := svc.CopyOwners(ctx, wg, as)
			if err != nil {
				continue
			}
			for ref, o := range found {
				owners[wg+"\x00"+ref] = o
			}
		}
		for i, it := range items {
			o, ok := owners[it.Workgroup+"\x00"+it.Subject]
			if !ok {
				continue
			}
			where := "#" + o.Room
			if o.Peer != "" {
				where = "@" + o.Peer
			}
			items[i].For = &spool.ItemFor{Service: "chat", ID: o.ID, Where: where, Author: o.Author}
		}
	}
}
