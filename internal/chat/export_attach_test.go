package chat

import (
	"context"
	"encoding/hex"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/events"
)

// AskAttachTest sends op attach of /peerhood/history/1 to p for message
// id (hexadecimal) of room of workgroup wg (a name), as a member that may or may not be allowed in.
func (s *Service) AskAttachTest(ctx context.Context, p peer.ID, wg, room, id string) error {
	b, err := hex.DecodeString(id)
	if err != nil {
		return err
	}
	info, err := s.resolve(wg)
	if err != nil {
		return err
	}
	return s.askAttach(ctx, p, info.ID, room, b)
}

// SendFilesTest queues a file copy with subject through this node's
// spool, as a member running other code could (a forged attachment).
func (s *Service) SendFilesTest(ctx context.Context, wg string, to, paths []string, subject string) error {
	info, err := s.resolve(wg)
	if err != nil {
		return err
	}
	_, err = s.cfg.Files.SendFiles(ctx, info.ID, to, paths, subject)
	return err
}

// SayQuotingTest says text in room with attachments copied from as
// (name, size, digest, reference): a message quoting another message's
// files, as a member running other code could write.
func (s *Service) SayQuotingTest(ctx context.Context, wg, room, text string, as []events.ChatAttachment) (string, error) {
	info, r, err := s.room(wg, room)
	if err != nil {
		return "", err
	}
	b := body{Room: r.name, Kind: KindText, Text: text}
	for _, a := range as {
		d, err := hex.DecodeString(a.Digest)
		if err != nil {
			return "", err
		}
		b.Attach = append(b.Attach, attachment{Name: a.Name, Size: a.Size, Digest: d, Ref: a.Ref})
	}
	m, err := s.send(ctx, info.ID, b)
	if err != nil {
		return "", err
	}
	return m.ID(), nil
}
