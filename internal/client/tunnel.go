package client

import (
	"context"

	t "github.com/peerhood/peerhood/internal/apitypes"
)

// Services is GET /v1/services.
func (c *Client) Services(ctx context.Context) ([]t.ServiceConfig, error) {
	return call[[]t.ServiceConfig](ctx, c, get, "/v1/services", nil)
}

// AddService is POST /v1/services.
func (c *Client) AddService(ctx context.Context, req t.ServiceAddRequest) (t.ServiceConfig, error) {
	return call[t.ServiceConfig](ctx, c, post, "/v1/services", req)
}

// SetServiceAccess is PUT /v1/services/{name}/access.
func (c *Client) SetServiceAccess(ctx context.Context, name string, req t.ServiceSetRequest) (t.ServiceConfig, error) {
	return call[t.ServiceConfig](ctx, c, put, "/v1/services/"+seg(name)+"/access", req)
}

// RemoveService is DELETE /v1/services/{name}.
func (c *Client) RemoveService(ctx context.Context, name string) (t.Empty, error) {
	return call[t.Empty](ctx, c, del, "/v1/services/"+seg(name), nil)
}

// ServicesOf is GET /v1/services/of/{member} (wg "": the only workgroup).
func (c *Client) ServicesOf(ctx context.Context, wg, member string) ([]t.ServiceInfo, error) {
	return call[[]t.ServiceInfo](ctx, c, get, withQuery("/v1/services/of/"+seg(member), "workgroup", wg), nil)
}

// Forwards is GET /v1/forwards.
func (c *Client) Forwards(ctx context.Context) ([]t.Forward, error) {
	return call[[]t.Forward](ctx, c, get, "/v1/forwards", nil)
}

// AddForward is POST /v1/forwards.
func (c *Client) AddForward(ctx context.Context, req t.ForwardRequest) (t.Forward, error) {
	return call[t.Forward](ctx, c, post, "/v1/forwards", req)
}

// RemoveForward is DELETE /v1/forwards?what=... (a local address or
// MEMBER:SERVICE).
func (c *Client) RemoveForward(ctx context.Context, what string) ([]t.Forward, error) {
	return call[[]t.Forward](ctx, c, del, withQuery("/v1/forwards", "what", what), nil)
}

// Printers is GET /v1/printers.
func (c *Client) Printers(ctx context.Context) (t.PrinterList, error) {
	return call[t.PrinterList](ctx, c, get, "/v1/printers", nil)
}

// SharePrinter is POST /v1/printers/shared.
func (c *Client) SharePrinter(ctx context.Context, req t.PrinterShareRequest) (t.ServiceConfig, error) {
	return call[t.ServiceConfig](ctx, c, post, "/v1/printers/shared", req)
}

// AddPrinter is POST /v1/printers.
func (c *Client) AddPrinter(ctx context.Context, req t.PrinterAddRequest) (t.Printer, error) {
	return call[t.Printer](ctx, c, post, "/v1/printers", req)
}

// RemovePrinter is DELETE /v1/printers?what=MEMBER:NAME|NAME.
func (c *Client) RemovePrinter(ctx context.Context, what string) (t.Empty, error) {
	return call[t.Empty](ctx, c, del, withQuery("/v1/printers", "what", what), nil)
}
