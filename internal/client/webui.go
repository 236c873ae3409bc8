package client

import (
	"context"

	t "github.com/peerhood/peerhood/internal/apitypes"
)

// UILogin is POST /v1/ui/login: a one-time login link to the web UI.
func (c *Client) UILogin(ctx context.Context) (t.UILogin, error) {
	return call[t.UILogin](ctx, c, post, "/v1/ui/login", nil)
}
