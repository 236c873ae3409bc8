package spool

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/wire"
)

// Disk and quotas: what one member may make this node hold. Direct
// offers and mailbox deposits are refused when the spool's file system
// would keep less than MinFree; each sending member may have at most
// PartialMaxCount direct transfers in progress (PartialMaxBytes bytes on
// disk and still to come), and a mailbox holds at most MailboxMaxCount
// messages (MailboxMaxBytes bytes) from one sender and at most
// ReceiptMaxCount receipts (ReceiptMaxBytes bytes) signed by one member.
// Partial transfers nobody touched for PartialMaxAge are removed every
// SweepInterval.

// codeQuota is the wire error code of a refusal over a sender's quota.
const codeQuota = "over_quota"

// Defaults, sized for a family or an office (see doc.go).
const (
	defPartialMaxCount = 16
	defPartialMaxBytes = 64 << 30
	defMailboxMaxCount = 2000
	defMailboxMaxBytes = 4 << 30
	// A member deposits receipts only for messages it received whose
	// senders it cannot reach, and each is removed when fetched: 10,000
	// is five senders' full message quotas (2,000 each) all answered
	// while those senders are away. A receipt is about 250 bytes, under
	// 1.4 KiB with the longest rejection reason (maxReason, 1,024): 16 MiB
	// holds 10,000 of the largest.
	defReceiptMaxCount = 10000
	defReceiptMaxBytes = 16 << 20
	defPartialMaxAge   = 7 * 24 * time.Hour
	defSweepInterval   = time.Hour
)

// Node settings (store.DB.Setting) that override the defaults when the
// Config leaves a limit zero.
const (
	settingPartialCount = "spool.quota.partial_count"
	settingPartialBytes = "spool.quota.partial_bytes"
	settingMailboxCount = "spool.quota.mailbox_count"
	settingMailboxBytes = "spool.quota.mailbox_bytes"
	settingReceiptCount = "spool.quota.receipt_count"
	settingReceiptBytes = "spool.quota.receipt_bytes"
	settingPartialAge   = "spool.partial_max_age"
)

// quotaDefaults fills zero limits from the node's settings, then the
// defaults.
func (c *Config) quotaDefaults(ctx context.Context) {
	setting := func(key string) (uint64, bool) {
		if c.DB == nil {
			return 0, false
		}
		v, err := c.DB.Setting(ctx, key)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		return n, err == nil && n > 0
	}
	intLimit := func(p *int, key string, def int) {
		if *p > 0 {
			return
		}
		*p = def
		if n, ok := setting(key); ok {
			*p = int(min(n, 1<<31))
		}
	}
	byteLimit := func(p *uint64, key string, def uint64) {
		if *p > 0 {
			return
		}
		*p = def
		if n, ok := setting(key); ok {
			*p = n
		}
	}
	intLimit(&c.PartialMaxCount, settingPartialCount, defPartialMaxCount)
	byteLimit(&c.PartialMaxBytes, settingPartialBytes, defPartialMaxBytes)
	intLimit(&c.MailboxMaxCount, settingMailboxCount, defMailboxMaxCount)
	byteLimit(&c.MailboxMaxBytes, settingMailboxBytes, defMailboxMaxBytes)
	intLimit(&c.ReceiptMaxCount, settingReceiptCount, defReceiptMaxCount)
	byteLimit(&c.ReceiptMaxBytes, settingReceiptBytes, defReceiptMaxBytes)
	if c.PartialMaxAge <= 0 {
		c.PartialMaxAge = defPartialMaxAge
		if c.DB != nil {
			if v, err := c.DB.Setting(ctx, settingPartialAge); err == nil {
				if d, err := time.ParseDuration(v); err == nil && d > 0 {
					c.PartialMaxAge = d
				}
			}
		}
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = defSweepInterval
	}
}

// partialsOf counts the partial files named prefix* other than except,
// and their bytes.
func (d *spoolDir) partialsOf(prefix, except string) (n int, bytes uint64) {
	ents, err := os.ReadDir(filepath.Join(d.root, "partial"))
	if err != nil {
		return 0, 0
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) || e.Name() == except {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n++
			bytes += uint64(fi.Size())
		}
	}
	return n, bytes
}

// roomFor checks there is room for need more bytes on the spool's file
// system; nil means yes (or the free space cannot be told).
func (s *Service) roomFor(need uint64, who string) *wire.Error {
	free, err := s.cfg.FreeSpace(s.spool.root)
	if err == nil && free < need+s.cfg.MinFree {
		return &wire.Error{Code: wire.CodeNoSpace, Message: who + " has " + strconv.FormatUint(free, 10) + " bytes free; " +
			strconv.FormatUint(need+s.cfg.MinFree, 10) + " needed"}
	}
	return nil
}

// roomForOffer checks a direct offer of env (off bytes already held in
// partial file key) from remote against free space and remote's quota of
// transfers in progress. A large file copy needs room twice: its
// ciphertext and, decrypted while it arrives, its staged files.
func (s *Service) roomForOffer(remote peer.ID, key string, env *Envelope, off uint64) *wire.Error {
	size, need := env.Size, env.Size-off
	if env.Kind == KindFile && size > InlineMax {
		need += size
	}
	if werr := s.roomFor(need, "recipient"); werr != nil {
		return werr
	}
	if size <= InlineMax {
		return nil // received in memory, no partial file
	}
	n, held := s.spool.partialsOf("in-"+remote.String()+"-", key)
	if n+1 > s.cfg.PartialMaxCount || held+size > s.cfg.PartialMaxBytes {
		return &wire.Error{Code: codeQuota, Message: "over quota: " + strconv.Itoa(n) + " transfers from you (" +
			strconv.FormatUint(held, 10) + " bytes) are in progress here; the limit is " + strconv.Itoa(s.cfg.PartialMaxCount) +
			" transfers and " + strconv.FormatUint(s.cfg.PartialMaxBytes, 10) + " bytes: retry when they are done"}
	}
	return nil
}

// mailboxUse is what a mailbox holds (and is receiving) from one sender.
type mailboxUse struct {
	count int
	bytes uint64
}

func (s *Service) mailboxUseOf(ctx context.Context, sender peer.ID, exceptKey string) mailboxUse {
	var u mailboxUse
	var size int64
	_ = s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(size),0) FROM spool_mailbox WHERE sender=? AND item=?`,
		sender.String(), itemMessage).Scan(&u.count, &size)
	u.bytes = uint64(size)
	n, b := s.spool.partialsOf("mb-"+sender.String()+"-", exceptKey)
	u.count += n
	u.bytes += b
	return u
}

// overQuota reports whether one more message of size bytes would take a
// sender past the mailbox quota; the error says so.
func (s *Service) overMailboxQuota(u mailboxUse, size uint64) *mailboxReply {
	if u.count+1 > s.cfg.MailboxMaxCount || u.bytes+size > s.cfg.MailboxMaxBytes {
		return mbErr(codeQuota, "over quota: this mailbox holds %d messages (%d bytes) from you; the limit is %d messages and %d bytes per sender",
			u.count, u.bytes, s.cfg.MailboxMaxCount, s.cfg.MailboxMaxBytes)
	}
	return nil
}

// receiptUseOf is what a mailbox holds in receipts signed by signer.
func (s *Service) receiptUseOf(ctx context.Context, signer peer.ID) (mailboxUse, error) {
	var u mailboxUse
	var size int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(length(blob)),0) FROM spool_mailbox WHERE sender=? AND item=?`,
		signer.String(), itemReceipt).Scan(&u.count, &size)
	u.bytes = uint64(size)
	return u, err
}

// overReceiptQuota reports whether n more receipts of size bytes would
// take their signer past the receipt quota; the error says so.
func (s *Service) overReceiptQuota(u mailboxUse, n int, size uint64) *mailboxReply {
	if u.count+n > s.cfg.ReceiptMaxCount || u.bytes+size > s.cfg.ReceiptMaxBytes {
		return mbErr(codeQuota, "over quota: this mailbox holds %d receipts (%d bytes) from you; %d more would pass the limit of %d receipts and %d bytes per member",
			u.count, u.bytes, n, s.cfg.ReceiptMaxCount, s.cfg.ReceiptMaxBytes)
	}
	return nil
}

// sweepLoop removes abandoned partial transfers every SweepInterval.
func (s *Service) sweepLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweepPartials(time.Now())
		}
	}
}

// sweepPartials removes the partial transfers and temporary spool files
// nobody touched for PartialMaxAge before now (none being received).
func (s *Service) sweepPartials(now time.Time) (removed int) {
	for _, sub := range []string{"partial", "tmp"} {
		ents, err := os.ReadDir(filepath.Join(s.spool.root, sub))
		if err != nil {
			continue
		}
		for _, e := range ents {
			fi, err := e.Info()
			if err != nil || now.Sub(fi.ModTime()) < s.cfg.PartialMaxAge {
				continue
			}
			if !s.lock(e.Name()) {
				continue // being received
			}
			if os.Remove(filepath.Join(s.spool.root, sub, e.Name())) == nil {
				removed++
			}
			s.unlock(e.Name())
		}
	}
	if removed > 0 {
		s.log.Info("removed abandoned partial transfers", "files", removed)
	}
	return removed
}
