package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/peerhood/peerhood/internal/events"
)

// Attachments (doc.go, "Attachments"): a message references files sent
// as one queued copy (the spool carries the bytes, sealed to each
// recipient) to the room's members or the other member. The message
// carries each file's name, size and SHA-256 and the copy's reference:
// the subject of the inbox item each recipient gets.

// Limits of attachments.
const (
	maxAttach        = 8   // files per message
	maxAttachName    = 255 // bytes of a file name
	maxAttachRef     = 64
	maxAttachMembers = 64 // recipients of one room message's copy
	attachRefPrefix  = "chat-attachment:"
)

// attachment is a file a message references (body field 15):
//
//	{1 Name text (a base name), 2 Size uint, 3 Digest bytes (SHA-256, 32), 4 Ref text}
type attachment struct {
	Name   string `cbor:"1,keyasint"`
	Size   uint64 `cbor:"2,keyasint"`
	Digest []byte `cbor:"3,keyasint"`
	Ref    string `cbor:"4,keyasint"`
}

// Files queues file copies for the chat service: the spool
// (*spool.Service through the daemon's adapter).
type Files interface {
	// SendFiles queues one copy of the files at paths (absolute) to each
	// member named in to, of workgroup wg, with subject as the inbox
	// item's subject; it returns the jobs' IDs.
	SendFiles(ctx context.Context, wg string, to []string, paths []string, subject string) ([]string, error)
	// Copies lists the file copies this node received in workgroup wg
	// (inbox items of kind file, not removed) whose subject is one of
	// refs.
	Copies(ctx context.Context, wg string, refs []string) ([]Copy, error)
	// SaveCopy writes the files of received copy id under dest (an
	// absolute folder, never overwriting) and returns their paths.
	SaveCopy(ctx context.Context, id, dest string) ([]string, error)
}

// Copy is a file copy this node received (a spool inbox item).
type Copy struct {
	ID      string // the inbox item's ID
	Subject string
	Sender  string // peer ID
	State   string // new | accepted
	Files   []CopyFile
	// Saved: where `peerhood inbox accept` wrote the files (absolute
	// paths), for an accepted copy whose paths the spool recorded.
	Saved []string
}

// CopyFile is one file of a Copy.
type CopyFile struct {
	Path string // slash-separated, relative
	Size uint64
}

// checkAttach checks the attachments of a body.
func checkAttach(b *body) error {
	if len(b.Attach) == 0 {
		return nil
	}
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{errBadMessage}, a...)...) }
	if b.Kind != KindText && b.Kind != KindNotice {
		return bad("attachments on a %s", b.Kind)
	}
	if len(b.Attach) > maxAttach {
		return bad("%d attachments (at most %d)", len(b.Attach), maxAttach)
	}
	for _, a := range b.Attach {
		if err := validAttachName(a.Name); err != nil {
			return bad("%v", err)
		}
		if len(a.Digest) != sha256.Size || a.Ref == "" || len(a.Ref) > maxAttachRef || !utf8.ValidString(a.Ref) {
			return bad("attachment %q: digest of %d bytes, reference of %d", a.Name, len(a.Digest), len(a.Ref))
		}
	}
	return nil
}

// validAttachName accepts a base name: no separator, no NUL, not . or ..
func validAttachName(n string) error {
	if n == "" || len(n) > maxAttachName || !utf8.ValidString(n) || n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00") {
		return fmt.Errorf("attachment name %q: a file name of 1 to %d bytes", n, maxAttachName)
	}
	return nil
}

// attachmentsOf is the API's view of a message's attachments.
func attachmentsOf(m *msg) []events.ChatAttachment {
	if len(m.Attach) == 0 {
		return nil
	}
	out := make([]events.ChatAttachment, len(m.Attach))
	for i, a := range m.Attach {
		out[i] = events.ChatAttachment{Name: a.Name, Size: a.Size, Digest: hex.EncodeToString(a.Digest), Ref: a.Ref}
	}
	return out
}

// describeFiles reads the files at paths (absolute, regular) and returns
// their attachments under a new reference.
func describeFiles(paths []string) ([]attachment, error) {
	if len(paths) > maxAttach {
		return nil, fmt.Errorf("%w: %d attachments (at most %d)", ErrInvalid, len(paths), maxAttach)
	}
	var r [16]byte
	_, _ = rand.Read(r[:])
	ref := attachRefPrefix + hex.EncodeToString(r[:])
	out := make([]attachment, 0, len(paths))
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("%w: %s: path must be absolute", ErrInvalid, p)
		}
		a, err := describeFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w: attach %s: %v", ErrInvalid, p, err)
		}
		a.Ref = ref
		out = append(out, a)
	}
	return out, nil
}

func describeFile(p string) (attachment, error) {
	f, err := os.Open(p)
	if err != nil {
		return attachment{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return attachment{}, err
	}
	if !fi.Mode().IsRegular() {
		return attachment{}, fmt.Errorf("not a regular file")
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return attachment{}, err
	}
	a := attachment{Name: filepath.Base(p), Size: uint64(n), Digest: h.Sum(nil)}
	return a, validAttachName(a.Name)
}

// queueCopies describes the files, queues their copy to the members
// named in to (when any), records them as kept for log, and returns the
// attachments.
func (s *Service) queueCopies(ctx context.Context, wg, log string, to, paths []string) ([]attachment, error) {
	if s.cfg.Files == nil {
		return nil, fmt.Errorf("%w: this node sends no attachments (no spool)", ErrInvalid)
	}
	as, err := describeFiles(paths)
	if err != nil {
		return nil, err
	}
	// Recorded first: a full disk refuses the message before any copy
	// is queued (recorded after, a failed record went unnoticed and this
	// node did not serve the files to a member that asked later).
	if err := s.keepFiles(ctx, wg, log, as, paths); err != nil {
		return nil, err
	}
	if len(to) == 0 {
		return as, nil
	}
	if _, err := s.cfg.Files.SendFiles(ctx, wg, to, paths, as[0].Ref); err != nil {
		return nil, fmt.Errorf("chat: queue the attachments' copy: %w", err)
	}
	return as, nil
}

// SayFiles sends text to a room with files attached: a queued copy of
// them goes to each member allowed in the room (at most 64 besides this
// node), then the message referencing it.
func (s *Service) SayFiles(ctx context.Context, wg, room, text string, opt SendOptions, paths []string) (Message, error) {
	info, r, err := s.room(wg, room)
	if err != nil {
		return Message{}, err
	}
	if !s.allowed(info.ID, r.name, s.self) {
		return Message{}, fmt.Errorf("%w: room %s is not open to this member", ErrRefused, r.name)
	}
	var to []string
	for _, m := range s.dir.Members(info.ID) {
		if m.PeerID == s.self || !s.allowed(info.ID, r.name, m.PeerID) {
			continue
		}
		if byName, ok := s.dir.ByName(info.ID, m.Name); ok && byName.PeerID == m.PeerID {
			to = append(to, m.Name)
		}
	}
	if len(to) > maxAttachMembers {
		return Message{}, fmt.Errorf("%w: room %s has %d members: attachments go to at most %d (share a folder instead)", ErrInvalid, r.name, len(to), maxAttachMembers)
	}
	b := body{Room: r.name, Kind: KindText, Text: text, Mentions: s.mentions(info.ID, text)}
	if opt.Notice {
		b.Kind = KindNotice
	}
	if b.Parent, err = parseRef(opt.Parent); err != nil {
		return Message{}, err
	}
	if b.Attach, err = s.queueCopies(ctx, info.ID, r.name, to, paths); err != nil {
		return Message{}, err
	}
	m, err := s.send(ctx, info.ID, b)
	if err != nil {
		return Message{}, err
	}
	return s.toMessage(m), nil
}

// DirectFiles sends a direct message with files attached: a queued copy
// to the member, then the message referencing it.
func (s *Service) DirectFiles(ctx context.Context, wg, member, text string, opt SendOptions, paths []string) (Message, error) {
	info, m, err := s.directPeer(wg, member)
	if err != nil {
		return Message{}, err
	}
	b := body{To: []byte(m.PeerID), Kind: KindText, Text: text, Mentions: s.mentions(info.ID, text)}
	if opt.Notice {
		b.Kind = KindNotice
	}
	if b.Parent, err = parseRef(opt.Parent); err != nil {
		return Message{}, err
	}
	if b.Attach, err = s.queueCopies(ctx, info.ID, "@"+m.PeerID.String(), []string{m.Name}, paths); err != nil {
		return Message{}, err
	}
	sent, err := s.send(ctx, info.ID, b)
	if err != nil {
		return Message{}, err
	}
	s.deliverLater(info.ID, m.PeerID, sent)
	return s.toMessage(sent), nil
}
