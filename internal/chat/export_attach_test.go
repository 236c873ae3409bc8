package chat

import (
	"context"
	"encoding/hex"

	"github.com/libp2p/go-libp2p/core/peer"
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
