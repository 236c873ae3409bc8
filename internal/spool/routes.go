package spool

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
)

// apiError maps the spool's errors to API errors.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range []struct {
		kind error
		mk   func(string, ...any) *api.Error
	}{{ErrInvalid, api.BadRequest}, {ErrNotFound, api.NotFound}, {ErrConflict, api.Conflict}} {
		if errors.Is(err, k.kind) {
			return k.mk("%s", strings.TrimPrefix(err.Error(), k.kind.Error()+": "))
		}
	}
	return err // a full disk: 507 no_space (the daemon's api.Server.SetFull)
}

// Routes declares the mail, copy, inbox and queue endpoints on the
// control API.
func (s *Service) Routes(srv *api.Server) {
	s.uploadRoutes(srv) // upload.go: files a browser stages, then sends
	api.Handle(srv, "POST /v1/mail/send", "Send a mail (sealed to each recipient; queued until each acknowledges)",
		func(ctx context.Context, r *http.Request, req apitypes.MailSendRequest) ([]Job, error) {
			jobs, err := s.Send(ctx, SendRequest{Workgroup: req.Workgroup, To: req.To, Kind: KindMail,
				Subject: req.Subject, Body: req.Body, Paths: req.Attach})
			return jobs, apiError(err)
		})
	api.Handle(srv, "GET /v1/mail", "List received mail (?unread=1 for unread only)",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Item, error) {
			items, err := s.Inbox(ctx, KindMail, r.URL.Query().Get("unread") != "")
			return items, apiError(err)
		}, "unread")
	api.Handle(srv, "GET /v1/mail/sent", "List sent mail (one job per recipient: subject, state), newest first",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Job, error) {
			jobs, err := s.Sent(ctx)
			return jobs, apiError(err)
		})
	api.Handle(srv, "POST /v1/mail/{id}/reply", "Reply to a received mail's sender (subject Re:, the original quoted)",
		func(ctx context.Context, r *http.Request, req apitypes.MailReplyRequest) ([]Job, error) {
			jobs, err := s.Reply(ctx, r.PathValue("id"), req.Body, req.Attach, req.NoQuote)
			return jobs, apiError(err)
		})
	api.Handle(srv, "POST /v1/mail/{id}/forward", "Forward a received mail, with its attachments, to members",
		func(ctx context.Context, r *http.Request, req apitypes.MailForwardRequest) ([]Job, error) {
			jobs, err := s.Forward(ctx, r.PathValue("id"), req.To, req.Note)
			return jobs, apiError(err)
		})
	api.Handle(srv, "GET /v1/mail/{id}", "Read a mail (marks it read)",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Item, error) {
			it, err := s.Item(ctx, r.PathValue("id"), true)
			return it, apiError(err)
		})
	api.Handle(srv, "DELETE /v1/mail/{id}", "Delete a received mail",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Item, error) {
			it, err := s.Remove(ctx, r.PathValue("id"))
			return it, apiError(err)
		})
	api.Handle(srv, "POST /v1/copy", "Queue a copy of local files or folders into members' inboxes",
		func(ctx context.Context, r *http.Request, req apitypes.CopyRequest) ([]Job, error) {
			jobs, err := s.Send(ctx, SendRequest{Workgroup: req.Workgroup, To: req.To, Kind: KindFile,
				Paths: req.Paths, Recursive: req.Recursive, NoClobber: req.NoClobber})
			return jobs, apiError(err)
		})
	api.Handle(srv, "GET /v1/inbox", "List received file copies",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Item, error) {
			items, err := s.Inbox(ctx, KindFile, false)
			if err == nil {
				s.describe(ctx, items)
			}
			return items, apiError(err)
		})
	api.Handle(srv, "POST /v1/inbox/{id}/accept", "Decrypt a received copy (or a mail's attachments) into a folder",
		func(ctx context.Context, r *http.Request, req apitypes.AcceptRequest) (AcceptResult, error) {
			res, err := s.Accept(ctx, r.PathValue("id"), req.Dest)
			return res, apiError(err)
		})
	api.Handle(srv, "DELETE /v1/inbox/{id}", "Delete a received copy",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Item, error) {
			it, err := s.Remove(ctx, r.PathValue("id"))
			return it, apiError(err)
		})
	api.Handle(srv, "GET /v1/queue", "Outgoing jobs with state, size, progress, attempts, next try and route",
		func(ctx context.Context, r *http.Request, _ api.Empty) ([]Job, error) {
			jobs, err := s.Queue(ctx)
			return jobs, apiError(err)
		})
	api.Handle(srv, "POST /v1/queue/{id}/cancel", "Cancel an undelivered job",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Job, error) {
			j, err := s.Cancel(ctx, r.PathValue("id"))
			return j, apiError(err)
		})
	api.Handle(srv, "POST /v1/queue/{id}/retry", "Retry a job now",
		func(ctx context.Context, r *http.Request, _ api.Empty) (Job, error) {
			j, err := s.Retry(ctx, r.PathValue("id"))
			return j, apiError(err)
		})
}
