package davfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// A chunked PUT (no Content-Length) to another node's share is staged in
// a spool file, because the files protocol's write names its size before
// the bytes (the sharing node checks its disk, bounds the resume offset
// and reads exactly that many bytes before the digest). macOS Finder
// sends its uploads chunked with the size in X-Expected-Entity-Length;
// such a PUT streams like one with Content-Length, and expectedBody
// makes the size a promise: a body that ends early fails as a cut one
// does, and one that runs longer fails before the Put has read its last
// byte, so nothing reaches the file's name unless the body was exactly
// the size announced.

// expectedLength returns a PUT's X-Expected-Entity-Length when its body
// is chunked (-1: none, or a Content-Length was given).
func expectedLength(r *http.Request) int64 {
	v := r.Header.Get("X-Expected-Entity-Length")
	if r.ContentLength >= 0 || v == "" {
		return -1
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// errBodyLength: a body is not the length X-Expected-Entity-Length
// announced (400).
var errBodyLength = errors.New("the body is not the length X-Expected-Entity-Length announced")

// expectedBody reads a body announced as size bytes. The read that
// brings the last bytes first checks that the body ends there. A body of
// another length fails the request with 400 (recorded in ctx's state).
type expectedBody struct {
	ctx  context.Context
	r    io.ReadCloser
	size int64
	left int64
}

func (b *expectedBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, b.ended()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	switch {
	case err == io.EOF && b.left > 0:
		return n, fail(b.ctx, fmt.Errorf("%w: it ended after %d of %d bytes (%w)", errBodyLength, b.size-b.left, b.size, io.ErrUnexpectedEOF), 0)
	case err != nil && err != io.EOF:
		return n, err
	case b.left == 0:
		if err := b.ended(); err != io.EOF {
			return 0, err // hold the last bytes back: the Put must not complete
		}
	}
	return n, nil
}

// ended checks that the body holds nothing more: io.EOF when it ends.
func (b *expectedBody) ended() error {
	var one [1]byte
	for {
		k, err := b.r.Read(one[:])
		if k > 0 {
			return fail(b.ctx, fmt.Errorf("%w: it holds more than %d bytes", errBodyLength, b.size), 0)
		}
		if err != nil {
			return err
		}
	}
}

func (b *expectedBody) Close() error { return b.r.Close() }
