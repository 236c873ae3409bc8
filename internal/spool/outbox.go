package spool

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// ErrConflict reports an action the job's state does not allow.
var ErrConflict = errors.New("conflict")

// Job states.
const (
	StateQueued    = "queued"
	StateDeposited = "deposited" // with a mailbox, waiting for the recipient's receipt
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
	StateStuck     = "stuck" // shown for queued or deposited jobs older than StuckAfter
)

// SendRequest asks for a mail or a file copy to one or more members.
type SendRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	To        []string `json:"to"`
	Kind      string   `json:"kind"` // mail | file
	Subject   string   `json:"subject,omitempty"`
	Body      string   `json:"body,omitempty"`
	Paths     []string `json:"paths,omitempty"` // absolute paths of files or folders (attachments of a mail)
	Recursive bool     `json:"recursive,omitempty"`
	NoClobber bool     `json:"no_clobber,omitempty"` // a copy into a share refuses existing files
}

// Job is one message to one recipient in the outbox.
type Job struct {
	ID        string    `json:"id"`
	To        string    `json:"to"`
	Recipient string    `json:"recipient"`
	Workgroup string    `json:"workgroup"`
	Kind      string    `json:"kind"`
	Summary   string    `json:"summary"`
	State     string    `json:"state"`
	Size      uint64    `json:"size"`
	Progress  uint64    `json:"progress"`
	Attempts  int       `json:"attempts"`
	NextTry   time.Time `json:"next_try,omitzero"`
	Route     string    `json:"route,omitempty"`
	Error     string    `json:"error,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// Send seals the payload for each recipient and queues one job each. It
// refuses unknown or revoked recipients before queueing anything.
func (s *Service) Send(ctx context.Context, req SendRequest) ([]Job, error) {
	if req.Kind != KindMail && req.Kind != KindFile {
		return nil, fmt.Errorf("%w: kind must be mail or file", ErrInvalid)
	}
	if len(req.To) == 0 {
		return nil, fmt.Errorf("%w: name at least one recipient", ErrInvalid)
	}
	if req.Kind == KindFile && len(req.Paths) == 0 {
		return nil, fmt.Errorf("%w: name at least one file or folder to copy", ErrInvalid)
	}
	if len(req.Subject) > 1000 || len(req.Body) > maxHeader/2 {
		return nil, fmt.Errorf("%w: subject or body too long", ErrInvalid)
	}
	wg, err := workgroup.ResolveFor(s.dir, req.Workgroup, recipientNames(req.To)...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	rcpts, targets, err := s.recipients(ctx, wg, req)
	if err != nil {
		return nil, err
	}
	files, err := collectFiles(req.Paths, req.Recursive)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	hdr := PayloadHeader{Kind: req.Kind, Subject: req.Subject, Body: req.Body}
	var total uint64
	for _, f := range files {
		hdr.Files = append(hdr.Files, f.entry)
		total += f.entry.Size
	}
	if total > maxPayload/2 {
		return nil, fmt.Errorf("%w: %d bytes is more than a message may carry", ErrInvalid, total)
	}
	summary := req.Subject
	if req.Kind == KindFile {
		summary = files[0].entry.Path
		if len(files) > 1 {
			summary += fmt.Sprintf(" (+%d files)", len(files)-1)
		}
	}
	sjs, err := s.sealAndQueue(ctx, wg.ID, rcpts, targets, hdr, files, summary, total, req.NoClobber)
	if err != nil {
		return nil, err
	}
	jobs := make([]Job, len(sjs))
	for i, sj := range sjs {
		jobs[i] = sj.job
	}
	ps := make([]peer.ID, len(rcpts))
	for i, m := range rcpts {
		ps[i] = m.PeerID
	}
	s.wakeFor(ps...)
	return jobs, nil
}

// sealAndQueue seals a copy for each recipient, then queues them all in
// one commit: all of them or none. A large copy to a connected member is
// sent while it is sealed (live_send.go); each live offer is told the
// outcome once, queued or not.
func (s *Service) sealAndQueue(ctx context.Context, wg string, rcpts []workgroup.Member, targets []shareTargetOf,
	hdr PayloadHeader, files []sourceFile, summary string, total uint64, noClobber bool) ([]sealedJob, error) {
	var sjs []sealedJob
	var lives []*liveSend
	queued := false
	defer func() {
		for i, l := range lives {
			if queued {
				l.told(sjs[i].due(rcpts[i].PeerID, wg))
			} else {
				l.told(nil)
			}
		}
	}()
	for i, m := range rcpts {
		h, sum := hdr, summary
		if t := targets[i]; t.share != "" {
			h.Share, h.Dir, h.NoClobber = t.share, t.dir, noClobber
			sum += " -> " + m.Name + ":" + path.Join(t.share, t.dir)
		}
		live, err := s.maybeLive(m.PeerID, wg, h, total)
		if err != nil {
			return nil, err
		}
		lives = append(lives, live)
		sj, err := s.seal(wg, m, h, files, sum, live)
		if err != nil {
			for _, x := range sjs {
				s.releaseCiphertext(ctx, x.hash)
			}
			return nil, err
		}
		sjs = append(sjs, sj)
	}
	if err := s.commitJobs(ctx, sjs); err != nil {
		return nil, err
	}
	queued = true
	return sjs, nil
}

// shareTargetOf is where a copy goes in a recipient's share ("" share:
// its inbox).
type shareTargetOf struct{ share, dir string }

// recipients resolves req.To in workgroup wg: members (never this node,
// each with a usable age recipient) and, for NAME:SHARE/path, the share
// target, which PreflightShare may refuse at once.
func (s *Service) recipients(ctx context.Context, wg workgroup.Info, req SendRequest) ([]workgroup.Member, []shareTargetOf, error) {
	var rcpts []workgroup.Member
	var targets []shareTargetOf
	for _, to := range req.To {
		name, shr, dir, err := shareTarget(to)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if shr != "" && req.Kind != KindFile {
			return nil, nil, fmt.Errorf("%w: %s: only file copies go into a share; mail goes to the member's name", ErrInvalid, to)
		}
		targets = append(targets, shareTargetOf{shr, dir})
		m, ok := s.dir.ByName(wg.ID, name)
		if !ok {
			return nil, nil, fmt.Errorf("%w: no member %q in workgroup %s (unknown or revoked)", ErrInvalid, name, wg.Name)
		}
		if m.PeerID == s.self {
			return nil, nil, fmt.Errorf("%w: %s is this node itself", ErrInvalid, name)
		}
		if _, err := age.ParseX25519Recipient(m.AgeRecipient); err != nil {
			return nil, nil, fmt.Errorf("%w: member %s has no usable age recipient: %v", ErrInvalid, name, err)
		}
		rcpts = append(rcpts, m)
	}
	if s.cfg.PreflightShare != nil {
		for i, m := range rcpts {
			if t := targets[i]; t.share != "" {
				if err := s.cfg.PreflightShare(ctx, m, t.share); err != nil {
					return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
				}
			}
		}
	}
	return rcpts, targets, nil
}

// enqueue seals one payload to m and stores the job.
func (s *Service) enqueue(ctx context.Context, wg string, m workgroup.Member, hdr PayloadHeader, files []sourceFile, summary string) (Job, error) {
	sj, err := s.seal(wg, m, hdr, files, summary, nil)
	if err != nil {
		return Job{}, err
	}
	if err := s.commitJobs(ctx, []sealedJob{sj}); err != nil {
		return Job{}, err
	}
	return sj.job, nil
}

// sealedJob is a job sealed (its ciphertext fsynced) but not yet stored.
type sealedJob struct {
	job      Job
	hash     string
	envelope []byte
	args     []any // the spool_outbox row
}

// commitJobs stores sealed jobs in one group commit; on failure their
// ciphertexts are dropped and none is queued.
func (s *Service) commitJobs(ctx context.Context, sjs []sealedJob) error {
	err := s.groupCommit(func(tx *sql.Tx) error {
		for _, sj := range sjs {
			_, err := tx.ExecContext(ctx, `INSERT INTO spool_outbox(id, recipient, recipient_name, workgroup, kind, summary, envelope, hash, size, inline, state, next_try, created, updated)
				VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, sj.args...)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, sj := range sjs {
			s.releaseCiphertext(ctx, sj.hash)
		}
		return fmt.Errorf("queue job: %w", err)
	}
	for _, sj := range sjs {
		s.noteJobs(ctx, sj.job.ID)
	}
	return nil
}

// seal encrypts one payload to m (ciphertext inline or in a fsynced
// spool file) and signs its envelope.
// With live set, the spool file is written from the start and live
// sends it while it grows (live_send.go) under live's message ID.
func (s *Service) seal(wg string, m workgroup.Member, hdr PayloadHeader, files []sourceFile, summary string, live *liveSend) (sealedJob, error) {
	rcpt, _ := age.ParseX25519Recipient(m.AgeRecipient)
	sw := newSpillWriter(s.spool)
	var total uint64
	for _, f := range files {
		total += f.entry.Size
	}
	var id []byte
	if live != nil {
		id, sw.tap = live.hdr.ID, live.tap
		if err := sw.spill(); err != nil {
			sw.abort()
			return sealedJob{}, err
		}
	} else {
		var err error
		if id, err = newMessageID(); err != nil {
			return sealedJob{}, err
		}
	}
	// Small: fewer writes into the memory buffer. Large: the spill
	// writer gathers age's 64 KiB chunks itself (a bufio here would copy
	// every byte once more).
	var out io.Writer = sw
	var bw *bufio.Writer
	if total <= InlineMax {
		bw = bufio.NewWriterSize(sw, 4096)
		out = bw
	}
	aw, err := age.Encrypt(out, rcpt)
	if err != nil {
		return sealedJob{}, fmt.Errorf("encrypt: %w", err)
	}
	if err := writePayload(aw, hdr, files); err != nil {
		sw.abort()
		return sealedJob{}, err
	}
	if err := aw.Close(); err != nil {
		sw.abort()
		return sealedJob{}, fmt.Errorf("encrypt: %w", err)
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			sw.abort()
			return sealedJob{}, fmt.Errorf("encrypt: %w", err)
		}
	}
	sl, err := sw.finish()
	if err != nil {
		return sealedJob{}, err
	}
	now := nowMs()
	env := &Envelope{Version: EnvelopeVersion, ID: id, Sender: []byte(s.self), Recipient: []byte(m.PeerID),
		Workgroup: wg, Kind: hdr.Kind, Created: now, Size: sl.size, Hash: sl.hash}
	if err := env.Sign(s.id.Key); err != nil {
		return sealedJob{}, err
	}
	eb, err := env.Encode()
	if err != nil {
		return sealedJob{}, err
	}
	return sealedJob{
		envelope: eb,
		job: Job{ID: env.IDString(), To: m.Name, Recipient: m.PeerID.String(), Workgroup: wg, Kind: hdr.Kind, Summary: summary,
			State: StateQueued, Size: sl.size, Created: time.UnixMilli(now), Updated: time.UnixMilli(now)},
		hash: env.HashString(),
		args: []any{env.IDString(), m.PeerID.String(), m.Name, wg, hdr.Kind, summary, eb,
			env.HashString(), int64(sl.size), sl.inline, StateQueued, now, now, now},
	}, nil
}

const jobCols = `id, recipient, recipient_name, workgroup, kind, summary, state, size, attempts, next_try, route, last_error, created, updated`

func (s *Service) scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var size int64
	var next, created, updated int64
	if err := sc.Scan(&j.ID, &j.Recipient, &j.To, &j.Workgroup, &j.Kind, &j.Summary, &j.State, &size, &j.Attempts, &next, &j.Route, &j.Error, &created, &updated); err != nil {
		return j, err
	}
	j.Size = uint64(size)
	j.Created, j.Updated = time.UnixMilli(created), time.UnixMilli(updated)
	if j.State == StateQueued {
		j.NextTry = time.UnixMilli(next)
	}
	if (j.State == StateQueued || j.State == StateDeposited) && time.Since(j.Created) > s.cfg.StuckAfter {
		j.State = StateStuck
	}
	s.mu.Lock()
	j.Progress = s.progress[j.ID]
	s.mu.Unlock()
	if j.State == StateDelivered {
		j.Progress = j.Size
	}
	return j, nil
}

// Queue lists the outbox, newest first.
func (s *Service) Queue(ctx context.Context) ([]Job, error) {
	return s.listJobs(ctx, "list queue", ``)
}

// listJobs lists the outbox jobs matching where (empty: all), newest
// first; what names the listing in errors.
func (s *Service) listJobs(ctx context.Context, what, where string, args ...any) ([]Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+jobCols+` FROM spool_outbox `+where+` ORDER BY created DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []Job{}
	for rows.Next() {
		j, err := s.scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Job returns one job by ID or unique ID prefix.
func (s *Service) Job(ctx context.Context, id string) (Job, error) {
	full, err := s.resolveID(ctx, "spool_outbox", id)
	if err != nil {
		return Job{}, err
	}
	return s.scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM spool_outbox WHERE id=?`, full))
}

// resolveID finds the full ID a prefix (4+ hex digits) names in table.
func (s *Service) resolveID(ctx context.Context, table, id string) (string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < 4 {
		return "", fmt.Errorf("%w: ID %q is too short (give 4 or more characters)", ErrInvalid, id)
	}
	if _, err := hex.DecodeString(id[:len(id)&^1]); err != nil {
		return "", fmt.Errorf("%w: ID %q is not hexadecimal", ErrInvalid, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM `+table+` WHERE id >= ? AND id < ? LIMIT 2`, id, id+"g")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			return "", err
		}
		ids = append(ids, x)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%w: no message %s", ErrNotFound, id)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%w: ID %s is ambiguous; give more characters", ErrInvalid, id)
}

// Cancel stops a job that is not yet delivered and drops its ciphertext.
func (s *Service) Cancel(ctx context.Context, id string) (Job, error) {
	full, err := s.resolveID(ctx, "spool_outbox", id)
	if err != nil {
		return Job{}, err
	}
	var hash string
	res, err := s.db.ExecContext(ctx, `UPDATE spool_outbox SET state=?, updated=?, inline=NULL WHERE id=? AND state IN (?,?,?)`,
		StateCancelled, nowMs(), full, StateQueued, StateDeposited, StateFailed)
	if err != nil {
		return Job{}, fmt.Errorf("cancel job %s: %w", full, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		j, _ := s.Job(ctx, full)
		return j, fmt.Errorf("%w: job %s is %s", ErrConflict, full, j.State)
	}
	_ = s.db.QueryRowContext(ctx, `SELECT hash FROM spool_outbox WHERE id=?`, full).Scan(&hash)
	s.releaseCiphertext(ctx, hash)
	s.noteJobs(ctx, full)
	return s.Job(ctx, full)
}

// Retry makes a queued, deposited or failed job due now.
func (s *Service) Retry(ctx context.Context, id string) (Job, error) {
	full, err := s.resolveID(ctx, "spool_outbox", id)
	if err != nil {
		return Job{}, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE spool_outbox SET state=?, next_try=?, last_error='', updated=? WHERE id=? AND state IN (?,?,?)`,
		StateQueued, nowMs(), nowMs(), full, StateQueued, StateDeposited, StateFailed)
	if err != nil {
		return Job{}, fmt.Errorf("retry job %s: %w", full, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		j, _ := s.Job(ctx, full)
		return j, fmt.Errorf("%w: job %s is %s", ErrConflict, full, j.State)
	}
	s.mu.Lock()
	clear(s.unreachable) // the user asks for a try now
	s.mu.Unlock()
	s.noteJobs(ctx, full)
	s.Wake()
	return s.Job(ctx, full)
}
