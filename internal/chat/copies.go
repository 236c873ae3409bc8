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

// CopyAsk is a received copy CopyOwners looks up: its subject (the
// attachment reference) and its sender (a peer ID).
type CopyAsk struct{ Ref, Sender string }

// CopyOwners finds, for each copy of workgroup wg, the message whose
// attachments have its reference: the one the copy's sender wrote
// (earliest first), else (a copy a member queued on request) the
// earliest naming it. One scan of wg's stored messages, whatever the
// number of copies, keeping those with attachments (instr on raw for
// the references' prefix: an inbox listing's cost, never a message
// path's), decoded and matched here. Copies with no message here yet are
// left out.
func (s *Service) CopyOwners(ctx context.Context, wg string, asks []CopyAsk) (map[string]CopyOwner, error) {
	out := map[string]CopyOwner{}
	sender := map[string]string{}
	for _, a := range asks {
		if _, dup := sender[a.Ref]; IsAttachmentRef(a.Ref) && !dup {
			sender[a.Ref] = a.Sender
		}
	}
	if len(sender) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT raw FROM chat_messages WHERE workgroup=? AND log != ''
		AND instr(raw, CAST(? AS BLOB)) > 0 ORDER BY hlc`, wg, attachRefPrefix)
	if err != nil {
		return out, fmt.Errorf("chat: find the messages of copies: %w", err)
	}
	defer rows.Close()
	bySender := map[string]bool{} // refs answered by a message of the copy's sender
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return out, err
		}
		m, _, err := parse(raw)
		if err != nil {
			continue
		}
		for _, a := range m.Attach {
			snd, asked := sender[a.Ref]
			if !asked || bySender[a.Ref] {
				continue
			}
			own := m.authorID() == snd
			if _, have := out[a.Ref]; have && !own {
				continue
			}
			v := s.toMessage(m)
			out[a.Ref] = CopyOwner{ID: v.ID, Room: v.Room, Peer: v.Peer, Author: v.Author}
			bySender[a.Ref] = own
		}
	}
	return out, rows.Err()
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
