package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/peerhood/peerhood/internal/spool"
)

// MailSendRequest sends a mail to one or more members.
type MailSendRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	To        []string `json:"to"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	Attach    []string `json:"attach,omitempty"` // absolute paths
}

// CopyRequest queues a copy of local files or folders to members' inboxes.
type CopyRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	To        []string `json:"to"`
	Paths     []string `json:"paths"` // absolute paths
	Recursive bool     `json:"recursive,omitempty"`
}

// AcceptRequest names where accepted files go.
type AcceptRequest struct {
	Dest string `json:"dest"` // absolute folder
}

func spoolErr(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range []struct {
		kind error
		mk   func(string, ...any) *Error
	}{{spool.ErrInvalid, BadRequest}, {spool.ErrNotFound, NotFound}, {spool.ErrConflict, Conflict}} {
		if errors.Is(err, k.kind) {
			return k.mk("%s", strings.TrimPrefix(err.Error(), k.kind.Error()+": "))
		}
	}
	return err
}

// SpoolRoutes declares mail, copy, inbox and queue endpoints.
func SpoolRoutes(s *Server, svc *spool.Service) {
	Handle(s, "POST /v1/mail/send", "Send a mail (sealed to each recipient; queued until each acknowledges)",
		func(ctx context.Context, r *http.Request, req MailSendRequest) ([]spool.Job, error) {
			jobs, err := svc.Send(ctx, spool.SendRequest{Workgroup: req.Workgroup, To: req.To, Kind: spool.KindMail,
				Subject: req.Subject, Body: req.Body, Paths: req.Attach})
			return jobs, spoolErr(err)
		})
	Handle(s, "GET /v1/mail", "List received mail (?unread=1 for unread only)",
		func(ctx context.Context, r *http.Request, _ Empty) ([]spool.Item, error) {
			items, err := svc.Inbox(ctx, spool.KindMail, r.URL.Query().Get("unread") != "")
			return items, spoolErr(err)
		}, "unread")
	Handle(s, "GET /v1/mail/{id}", "Read a mail (marks it read)",
		func(ctx context.Context, r *http.Request, _ Empty) (spool.Item, error) {
			it, err := svc.Item(ctx, r.PathValue("id"), true)
			return it, spoolErr(err)
		})
	Handle(s, "DELETE /v1/mail/{id}", "Delete a received mail",
		func(ctx context.Context, r *http.Request, _ Empty) (spool.Item, error) {
			it, err := svc.Remove(ctx, r.PathValue("id"))
			return it, spoolErr(err)
		})
	Handle(s, "POST /v1/copy", "Queue a copy of local files or folders into members' inboxes",
		func(ctx context.Context, r *http.Request, req CopyRequest) ([]spool.Job, error) {
			jobs, err := svc.Send(ctx, spool.SendRequest{Workgroup: req.Workgroup, To: req.To, Kind: spool.KindFile,
				Paths: req.Paths, Recursive: req.Recursive})
			return jobs, spoolErr(err)
		})
	Handle(s, "GET /v1/inbox", "List received file copies",
		func(ctx context.Context, r *http.Request, _ Empty) ([]spool.Item, error) {
			items, err := svc.Inbox(ctx, spool.KindFile, false)
			return items, spoolErr(err)
		})
	Handle(s, "POST /v1/inbox/{id}/accept", "Decrypt a received copy (or a mail's attachments) into a folder",
		func(ctx context.Context, r *http.Request, req AcceptRequest) (spool.AcceptResult, error) {
			res, err := svc.Accept(ctx, r.PathValue("id"), req.Dest)
			return res, spoolErr(err)
		})
	Handle(s, "DELETE /v1/inbox/{id}", "Delete a received copy",
		func(ctx context.Context, r *http.Request, _ Empty) (spool.Item, error) {
			it, err := svc.Remove(ctx, r.PathValue("id"))
			return it, spoolErr(err)
		})
	Handle(s, "GET /v1/queue", "Outgoing jobs with state, size, progress, attempts, next try and route",
		func(ctx context.Context, r *http.Request, _ Empty) ([]spool.Job, error) {
			jobs, err := svc.Queue(ctx)
			return jobs, spoolErr(err)
		})
	Handle(s, "POST /v1/queue/{id}/cancel", "Cancel an undelivered job",
		func(ctx context.Context, r *http.Request, _ Empty) (spool.Job, error) {
			j, err := svc.Cancel(ctx, r.PathValue("id"))
			return j, spoolErr(err)
		})
	Handle(s, "POST /v1/queue/{id}/retry", "Retry a job now",
		func(ctx context.Context, r *http.Request, _ Empty) (spool.Job, error) {
			j, err := svc.Retry(ctx, r.PathValue("id"))
			return j, spoolErr(err)
		})
}
