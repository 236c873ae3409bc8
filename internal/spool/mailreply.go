package spool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Mail as a conversation: the sent list, replies and forwards. Each is an
// ordinary Send (sealed, queued, acknowledged); these functions only
// choose its recipient, subject, body and attachments from a received
// mail.

// Sent lists the mail this node sent (one job per recipient), newest
// first. A sent mail's body was sealed to its recipient and is not kept:
// the list shows its subject, recipient and state.
func (s *Service) Sent(ctx context.Context) ([]Job, error) {
	return s.listJobs(ctx, "list sent mail", `WHERE kind=?`, KindMail)
}

// prefixSubject puts "Re: " or "Fwd: " before a subject once.
func prefixSubject(prefix, subject string) string {
	if strings.HasPrefix(strings.ToLower(subject), strings.ToLower(prefix)) {
		return subject
	}
	return prefix + subject
}

// quote writes the original below a reply, each line behind "> ".
func quote(it Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "On %s, %s wrote:\n", it.Created.UTC().Format("2006-01-02 15:04 MST"), it.From)
	for _, l := range strings.Split(strings.TrimRight(it.Body, "\n"), "\n") {
		b.WriteString(strings.TrimRight("> "+l, " ") + "\n")
	}
	return b.String()
}

// mailItem returns a received mail (not a file copy).
func (s *Service) mailItem(ctx context.Context, id string) (Item, error) {
	it, err := s.Item(ctx, id, true)
	if err != nil {
		return Item{}, err
	}
	if it.Kind != KindMail {
		return Item{}, fmt.Errorf("%w: %s is a file copy, not a mail (see peerhood inbox)", ErrInvalid, it.ID)
	}
	return it, nil
}

// senderName is the name the sender of it holds now in its workgroup, so
// that Send reaches that very peer (not a newcomer under a freed name).
func (s *Service) senderName(it Item) (string, error) {
	p, err := peer.Decode(it.Sender)
	if err != nil {
		return "", fmt.Errorf("%w: sender of %s: %v", ErrInvalid, it.ID, err)
	}
	m, ok := s.dir.Member(it.Workgroup, p)
	if !ok {
		return "", fmt.Errorf("%w: %s is no longer a member of the workgroup; the reply cannot be sealed to it", ErrInvalid, it.From)
	}
	if byName, ok := s.dir.ByName(it.Workgroup, m.Name); !ok || byName.PeerID != p {
		return "", fmt.Errorf("%w: another member holds the name %s now; the reply would reach it", ErrInvalid, m.Name)
	}
	return m.Name, nil
}

// Reply sends body (with the original quoted below, unless noQuote) to the
// sender of mail id, in the workgroup the mail came through, with the
// subject "Re: ...".
func (s *Service) Reply(ctx context.Context, id, body string, attach []string, noQuote bool) ([]Job, error) {
	it, err := s.mailItem(ctx, id)
	if err != nil {
		return nil, err
	}
	to, err := s.senderName(it)
	if err != nil {
		return nil, err
	}
	if !noQuote {
		if body != "" && !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		body += "\n" + quote(it)
	}
	return s.Send(ctx, SendRequest{Workgroup: it.Workgroup, To: []string{to}, Kind: KindMail,
		Subject: prefixSubject("Re: ", it.Subject), Body: body, Paths: attach})
}

// Forward sends mail id, with its attachments, to members of the
// workgroup it came through, note first. Attachments go along while the
// mail still holds them (before `inbox accept` saved them elsewhere).
func (s *Service) Forward(ctx context.Context, id string, to []string, note string) ([]Job, error) {
	it, err := s.mailItem(ctx, id)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if note != "" {
		b.WriteString(strings.TrimRight(note, "\n") + "\n\n")
	}
	fmt.Fprintf(&b, "---------- Forwarded message ----------\nFrom: %s\nDate: %s\nSubject: %s\n\n%s",
		it.From, it.Created.UTC().Format("2006-01-02 15:04 MST"), it.Subject, it.Body)
	req := SendRequest{Workgroup: it.Workgroup, To: to, Kind: KindMail, Subject: prefixSubject("Fwd: ", it.Subject), Body: b.String()}
	if len(it.Files) == 0 {
		return s.Send(ctx, req)
	}
	if it.State != ItemNew {
		return nil, fmt.Errorf("%w: the attachments of %s were saved with inbox accept; forward them with mail send --attach", ErrConflict, it.ID)
	}
	// Decrypt the attachments into a private folder beside the spool,
	// seal them again to the new recipients, and drop the folder.
	tmp, err := os.MkdirTemp(s.cfg.SpoolDir, "forward-")
	if err != nil {
		return nil, fmt.Errorf("forward %s: %w", it.ID, err)
	}
	defer os.RemoveAll(tmp)
	var row acceptRow
	if err := s.db.QueryRowContext(ctx, `SELECT hash, inline, staged FROM spool_inbox WHERE handle=?`, it.ID).
		Scan(&row.hash, &row.inline, &row.staged); err != nil {
		return nil, fmt.Errorf("forward %s: %w", it.ID, err)
	}
	if _, err := s.extractItem(it, row, tmp); err != nil {
		return nil, fmt.Errorf("forward %s: attachments: %w", it.ID, err)
	}
	for _, f := range it.Files {
		top, _, _ := strings.Cut(filepath.ToSlash(f.Path), "/")
		if p := filepath.Join(tmp, top); !slices.Contains(req.Paths, p) {
			req.Paths = append(req.Paths, p)
		}
	}
	req.Recursive = true
	return s.Send(ctx, req)
}

// recipientNames are the member names of Send's To (NAME or
// NAME:SHARE/path), for workgroup.ResolveFor; a malformed one is left
// for recipients to refuse.
func recipientNames(to []string) []string {
	var out []string
	for _, t := range to {
		if name, _, _, err := shareTarget(t); err == nil && name != "" {
			out = append(out, name)
		}
	}
	return out
}
