package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrNotRunning reports that no node answers on the state folder's socket.
var ErrNotRunning = errors.New("peerhood node is not running")

// Client calls a node's control API.
type Client struct {
	home string
	sock string
	hc   *http.Client
}

// NewClient returns a client for the node whose state folder is home.
func NewClient(home string) *Client {
	sock := filepath.Join(home, SocketFile)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableCompression: true,
	}
	return &Client{home: home, sock: sock, hc: &http.Client{Transport: tr}}
}

// Do calls method path with req as JSON body (nil for none) and decodes
// the reply into resp (nil to discard).
func (c *Client) Do(ctx context.Context, method, path string, req, resp any) error {
	raw, err := c.DoRaw(ctx, method, path, req)
	if err != nil {
		return err
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(raw, resp); err != nil {
		return fmt.Errorf("decode reply of %s %s: %w", method, path, err)
	}
	return nil
}

// DoRaw is Do returning the reply's raw JSON.
func (c *Client) DoRaw(ctx context.Context, method, path string, req any) ([]byte, error) {
	var body io.Reader
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, method, "http://peerhood"+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		return nil, c.dialError(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read reply of %s %s: %w", method, path, err)
	}
	if res.StatusCode >= 300 {
		var ae Error
		if json.Unmarshal(raw, &ae) == nil && ae.Message != "" {
			ae.Status = res.StatusCode
			return nil, &ae
		}
		return nil, &Error{Status: res.StatusCode, Code: "http", Message: fmt.Sprintf("%s %s: %s", method, path, res.Status)}
	}
	return raw, nil
}

// Stream calls method path and returns the open response for streaming
// bodies (file downloads, event streams). The caller closes it.
func (c *Client) Stream(ctx context.Context, method, path string, body io.Reader, contentType string) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, method, "http://peerhood"+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		return nil, c.dialError(err)
	}
	if res.StatusCode >= 300 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		var ae Error
		if json.Unmarshal(raw, &ae) == nil && ae.Message != "" {
			ae.Status = res.StatusCode
			return nil, &ae
		}
		return nil, &Error{Status: res.StatusCode, Code: "http", Message: res.Status}
	}
	return res, nil
}

func (c *Client) dialError(err error) error {
	if _, statErr := os.Stat(c.sock); errors.Is(statErr, os.ErrNotExist) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%w (state folder %s): start it with: peerhood up", ErrNotRunning, c.home)
	}
	return fmt.Errorf("control API at %s: %w", c.sock, err)
}

// DefaultHome returns the state folder: $PEERHOOD_HOME, else the OS user
// config folder + /peerhood.
func DefaultHome() (string, error) {
	if h := os.Getenv("PEERHOOD_HOME"); h != "" {
		return filepath.Abs(h)
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config folder (set PEERHOOD_HOME or --home): %w", err)
	}
	return filepath.Join(dir, "peerhood"), nil
}

// WaitReady polls the node until it answers or ctx ends.
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		err := c.Do(ctx, http.MethodGet, "/openapi.json", nil, nil)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
