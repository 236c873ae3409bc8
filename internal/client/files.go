package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	t "github.com/peerhood/peerhood/internal/apitypes"
)

// Shares is GET /v1/shares.
func (c *Client) Shares(ctx context.Context) ([]t.ShareConfig, error) {
	return call[[]t.ShareConfig](ctx, c, get, "/v1/shares", nil)
}

// AddShare is POST /v1/shares.
func (c *Client) AddShare(ctx context.Context, req t.ShareAddRequest) (t.ShareConfig, error) {
	return call[t.ShareConfig](ctx, c, post, "/v1/shares", req)
}

// SetShareAccess is PUT /v1/shares/{name}/access.
func (c *Client) SetShareAccess(ctx context.Context, name string, req t.ShareSetRequest) (t.ShareConfig, error) {
	return call[t.ShareConfig](ctx, c, put, "/v1/shares/"+seg(name)+"/access", req)
}

// RemoveShare is DELETE /v1/shares/{name}.
func (c *Client) RemoveShare(ctx context.Context, name string) (t.Empty, error) {
	return call[t.Empty](ctx, c, del, "/v1/shares/"+seg(name), nil)
}

// Ls is GET /v1/files/ls.
func (c *Client) Ls(ctx context.Context, target, wg string) (t.LsResult, error) {
	return call[t.LsResult](ctx, c, get, withQuery("/v1/files/ls", "target", target, "workgroup", wg), nil)
}

// Mkdir is POST /v1/files/mkdir.
func (c *Client) Mkdir(ctx context.Context, req t.FilesRequest) (t.Empty, error) {
	return call[t.Empty](ctx, c, post, "/v1/files/mkdir", req)
}

// Rm is POST /v1/files/rm.
func (c *Client) Rm(ctx context.Context, req t.FilesRequest) (t.Empty, error) {
	return call[t.Empty](ctx, c, post, "/v1/files/rm", req)
}

// Mv is POST /v1/files/mv.
func (c *Client) Mv(ctx context.Context, req t.FilesRequest) (t.Empty, error) {
	return call[t.Empty](ctx, c, post, "/v1/files/mv", req)
}

// Get starts POST /v1/files/get: the node downloads req.Target to
// req.Local and reports its progress on the returned stream.
func (c *Client) Get(ctx context.Context, req t.FilesRequest) (*Transfer, error) {
	return c.transfer(ctx, "/v1/files/get", req)
}

// Put starts POST /v1/files/put: the node uploads req.Local to
// req.Target and reports its progress on the returned stream.
func (c *Client) Put(ctx context.Context, req t.FilesRequest) (*Transfer, error) {
	return c.transfer(ctx, "/v1/files/put", req)
}

func (c *Client) transfer(ctx context.Context, path string, req t.FilesRequest) (*Transfer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	res, err := c.t.Stream(ctx, post, path, bytes.NewReader(body), "application/json")
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	return &Transfer{body: res.Body, sc: sc}, nil
}

// Transfer is the NDJSON progress stream of a get or put.
type Transfer struct {
	body io.Closer
	sc   *bufio.Scanner
}

// Next returns the next event; io.EOF when the stream ended (without a
// last event if the node stopped).
func (tr *Transfer) Next() (t.TransferEvent, error) {
	var ev t.TransferEvent
	if !tr.sc.Scan() {
		if err := tr.sc.Err(); err != nil {
			return ev, fmt.Errorf("transfer stream: %w", err)
		}
		return ev, io.EOF
	}
	if err := json.Unmarshal(tr.sc.Bytes(), &ev); err != nil {
		return ev, fmt.Errorf("decode progress: %w", err)
	}
	return ev, nil
}

// Close ends the stream.
func (tr *Transfer) Close() error { return tr.body.Close() }
