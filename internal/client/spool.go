package client

import (
	"context"

	t "github.com/peerhood/peerhood/internal/apitypes"
)

// SendMail is POST /v1/mail/send.
func (c *Client) SendMail(ctx context.Context, req t.MailSendRequest) ([]t.Job, error) {
	return call[[]t.Job](ctx, c, post, "/v1/mail/send", req)
}

// Mail is GET /v1/mail (unreadOnly: ?unread=1).
func (c *Client) Mail(ctx context.Context, unreadOnly bool) ([]t.Item, error) {
	unread := ""
	if unreadOnly {
		unread = "1"
	}
	return call[[]t.Item](ctx, c, get, withQuery("/v1/mail", "unread", unread), nil)
}

// SentMail is GET /v1/mail/sent.
func (c *Client) SentMail(ctx context.Context) ([]t.Job, error) {
	return call[[]t.Job](ctx, c, get, "/v1/mail/sent", nil)
}

// ReplyMail is POST /v1/mail/{id}/reply.
func (c *Client) ReplyMail(ctx context.Context, id string, req t.MailReplyRequest) ([]t.Job, error) {
	return call[[]t.Job](ctx, c, post, "/v1/mail/"+seg(id)+"/reply", req)
}

// ForwardMail is POST /v1/mail/{id}/forward.
func (c *Client) ForwardMail(ctx context.Context, id string, req t.MailForwardRequest) ([]t.Job, error) {
	return call[[]t.Job](ctx, c, post, "/v1/mail/"+seg(id)+"/forward", req)
}

// ReadMail is GET /v1/mail/{id} (marks it read).
func (c *Client) ReadMail(ctx context.Context, id string) (t.Item, error) {
	return call[t.Item](ctx, c, get, "/v1/mail/"+seg(id), nil)
}

// DeleteMail is DELETE /v1/mail/{id}.
func (c *Client) DeleteMail(ctx context.Context, id string) (t.Item, error) {
	return call[t.Item](ctx, c, del, "/v1/mail/"+seg(id), nil)
}

// Copy is POST /v1/copy.
func (c *Client) Copy(ctx context.Context, req t.CopyRequest) ([]t.Job, error) {
	return call[[]t.Job](ctx, c, post, "/v1/copy", req)
}

// Inbox is GET /v1/inbox.
func (c *Client) Inbox(ctx context.Context) ([]t.Item, error) {
	return call[[]t.Item](ctx, c, get, "/v1/inbox", nil)
}

// Accept is POST /v1/inbox/{id}/accept.
func (c *Client) Accept(ctx context.Context, id string, req t.AcceptRequest) (t.AcceptResult, error) {
	return call[t.AcceptResult](ctx, c, post, "/v1/inbox/"+seg(id)+"/accept", req)
}

// DeleteInbox is DELETE /v1/inbox/{id}.
func (c *Client) DeleteInbox(ctx context.Context, id string) (t.Item, error) {
	return call[t.Item](ctx, c, del, "/v1/inbox/"+seg(id), nil)
}

// Queue is GET /v1/queue.
func (c *Client) Queue(ctx context.Context) ([]t.Job, error) {
	return call[[]t.Job](ctx, c, get, "/v1/queue", nil)
}

// CancelJob is POST /v1/queue/{id}/cancel.
func (c *Client) CancelJob(ctx context.Context, id string) (t.Job, error) {
	return call[t.Job](ctx, c, post, "/v1/queue/"+seg(id)+"/cancel", nil)
}

// RetryJob is POST /v1/queue/{id}/retry.
func (c *Client) RetryJob(ctx context.Context, id string) (t.Job, error) {
	return call[t.Job](ctx, c, post, "/v1/queue/"+seg(id)+"/retry", nil)
}
