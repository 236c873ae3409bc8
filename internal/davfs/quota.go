package davfs

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
)

// Quota properties (RFC 4331): quota-available-bytes and quota-used-bytes
// of a folder, asked by name (never in allprop, as RFC 4331 3 says) by
// macOS Finder and GNOME gvfs for the free space they show, and by
// rclone about. They describe the disk holding the share: the bytes an
// unprivileged writer may still use, and the bytes in use on it.

// Quota is an optional Backend method: the space of the disk holding a
// share. A backend that cannot tell (another node's share: the files
// protocol has no such operation) returns ErrNoQuota.
type Quota interface {
	Quota(ctx context.Context, node, share string) (available, used int64, err error)
}

// ErrNoQuota: the backend does not know the disk space of a share.
var ErrNoQuota = errors.New("disk space not known")

var (
	quotaAvailable = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
	quotaUsed      = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
)

// quotaProps holds the rendered quota properties of one PROPFIND (nil:
// none asked, or not known); they apply to folders.
type quotaProps map[xml.Name]string

// quotaFor returns the quota properties req asks for, for the share of
// t, or nil.
func (h *Handler) quotaFor(ctx context.Context, req propfindReq, t Target) quotaProps {
	asked := false
	for _, n := range req.names {
		asked = asked || n == quotaAvailable || n == quotaUsed
	}
	q, ok := h.b.(Quota)
	if !asked || !ok || t.Level() < 2 {
		return nil
	}
	avail, used, err := q.Quota(ctx, t.Node, t.Share)
	if err != nil {
		if !errors.Is(err, ErrNoQuota) {
			h.log.Debug("webdav: quota", "share", t.String(), "err", err)
		}
		return nil
	}
	return quotaProps{
		quotaAvailable: strconv.FormatInt(avail, 10),
		quotaUsed:      strconv.FormatInt(used, 10),
	}
}

// Quota implements Quota for this machine's shares: the disk space of
// the share's folder (statfs on the folder os.Root holds open).
func (b *LocalBackend) Quota(ctx context.Context, node, share string) (int64, int64, error) {
	s, err := b.share(node, share, false)
	if err != nil {
		return 0, 0, err
	}
	f, err := s.root.Open(".")
	if err != nil {
		return 0, 0, localErr("statfs", "", err)
	}
	defer f.Close()
	avail, used, err := diskSpace(f)
	if err != nil {
		return 0, 0, fmt.Errorf("disk space of share %s: %w", share, err)
	}
	return avail, used, nil
}

// Quota implements Quota: known for this node's shares only.
func (b *ShareBackend) Quota(ctx context.Context, node, share string) (int64, int64, error) {
	l, ok, err := b.own(ctx, node)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, ErrNoQuota
	}
	return l.Quota(ctx, node, share)
}
