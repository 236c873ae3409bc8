package chat

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// The inbox side of attachments: which message a received copy belongs
// to (peerhood inbox), and the files of copies accepted with `peerhood
// inbox accept` (the spool records where), which this node can send to a
// late member that asks (attach_save.go, answerAttach).

// CopyOwner is the chat message a received copy carries the files of.
type CopyOwner struct {
	ID     string // the message's ID
	Room   string // its room, or
	Peer   string // the other member of a direct conversation
	Author string // its author's name
}

// IsAttachmentRef reports whether an inbox item's subject is an
// attachment's reference (a copy chat queued).
func IsAttachmentRef(subject string) bool {
	return strings.HasPrefix(subject, attachRefPrefix) && len(subject) <= maxAttachRef
}

// maxOwnerScan bounds the messages CopyOwner decodes for one reference.
const maxOwnerScan = 8

// CopyOwner finds the message of workgroup wg whose attachments have
// reference ref, sent in a copy by sender (a peer ID): the message that
// sender wrote first, else (a copy a member queued on request) the
// earliest message naming ref. One scan of wg's stored messages for
// the reference's bytes (an inbox listing, not a message path).
func (s *Service) CopyOwner(ctx context.Context, wg, ref, sender string) (CopyOwner, bool, error) {
	if !IsAttachmentRef(ref) {
		return CopyOwner{}, false, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM chat_messages WHERE workgroup=? AND log != '' AND instr(raw, CAST(? AS BLOB)) > 0
		ORDER BY author != ?, hlc LIMIT ?`, wg, ref, sender, maxOwnerScan)
	if err != nil {
		return CopyOwner{}, false, fmt.Errorf("chat: find the message of copy %s: %w", ref, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return CopyOwner{}, false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		m, err := s.loadMessage(ctx, id, "", "")
		if err != nil || !hasRef(m, ref) {
			continue // the bytes matched elsewhere (a text quoting it)
		}
		v := s.toMessage(m)
		return CopyOwner{ID: v.ID, Room: v.Room, Peer: v.Peer, Author: v.Author}, true, nil
	}
	return CopyOwner{}, false, nil
}

func hasRef(m *msg, ref string) bool {
	for _, a := range m.Attach {
		if a.Ref == ref {
			return true
		}
	}
	return false
}

// addAccepted adds to kept (by ref + "/" + digest, as keptFiles answers)
// the files of m found in copies this node accepted with `peerhood
// inbox accept`: only copies m's author sent, so that a copy that came
// for a message of another room is never sent for a message quoting its
// reference (the caller hashes every path again before sending it).
func (s *Service) addAccepted(ctx context.Context, m *msg, kept map[string][]string) {
	if s.cfg.Files == nil || len(m.Attach) == 0 {
		return
	}
	cs, err := s.cfg.Files.Copies(ctx, m.Workgroup, []string{m.Attach[0].Ref})
	if err != nil {
		s.log.Warn("chat: list accepted copies", "err", err)
		return
	}
	author := m.authorID()
	for _, c := range cs {
		if c.State != "accepted" || c.Sender != author {
			continue
		}
		for _, a := range m.Attach {
			for _, p := range c.Saved {
				if filepath.Base(p) == a.Name {
					k := a.Ref + "/" + digestHex(a)
					kept[k] = append(kept[k], p)
				}
			}
		}
	}
}

// acceptedPath is where this node accepted file name of copy c with
// `peerhood inbox accept` ("" when it was not, or not recorded).
func acceptedPath(c Copy, name string) string {
	for _, p := range c.Saved {
		if filepath.Base(p) == name {
			return p
		}
	}
	return ""
}
