package spool

import (
	"context"
	"database/sql"

	"github.com/peerhood/peerhood/internal/events"
)

// noteJobs publishes job.changed for jobs whose new state was just
// stored (committed), read back from the outbox.
func (s *Service) noteJobs(ctx context.Context, ids ...string) {
	if s.cfg.Events == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, id := range ids {
		j, err := s.scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM spool_outbox WHERE id=?`, id))
		if err != nil {
			s.log.Debug("job event: read job", "id", id, "err", err)
			continue
		}
		s.cfg.Events.Publish(j.Workgroup, events.JobChanged{
			ID: j.ID, To: j.To, Peer: j.Recipient, Kind: j.Kind, State: j.State, Route: j.Route, Error: j.Error,
		})
	}
}

// noteArrived publishes mail.arrived for a message just stored in the inbox.
func (s *Service) noteArrived(in *incoming) {
	if in.env.Kind == KindChat {
		s.chatArrived(in)
		return
	}
	if s.cfg.Events == nil {
		return
	}
	env := in.env
	s.cfg.Events.Publish(env.Workgroup, events.MailArrived{
		ID: env.IDString(), From: env.SenderID().String(), Name: s.memberName(env.Workgroup, env.SenderID()),
		Kind: env.Kind, Subject: in.hdr.Subject, Size: int64(env.Size),
	})
}

// rowsAffected is res.RowsAffected after an Exec that returned err.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
