package share

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/p2p"
	"github.com/peerhood/peerhood/internal/wire"
)

// Client uses the shares of one remote member over /peerhood/files/1.
// Every call opens its own stream, so a Client is safe for concurrent use
// and cheap to keep. Errors from the sharing node match ErrNotFound,
// ErrForbidden, ErrBadPath, ErrNoSpace, ErrChanged or ErrCorrupt with
// errors.Is.
type Client struct {
	h     host.Host
	peer  peer.ID
	offer Hash // the digest requests offer (HashSHA256: as clients before BLAKE3)
	// noBatch is set once the peer answered a batch with "unknown
	// operation" (a node from before batches): trees go file by file.
	noBatch atomic.Bool
}

// NewClient returns a client for peer p's shares.
func NewClient(h host.Host, p peer.ID) *Client { return &Client{h: h, peer: p, offer: preferredHash} }

// Peer returns the remote peer.
func (c *Client) Peer() peer.ID { return c.peer }

// dialTimeout bounds dialing a member that is not connected.
const dialTimeout = 10 * time.Second

// stream is a files stream reset when its context ends.
type stream struct {
	network.Stream
	stop func() bool
}

func (s *stream) Close() error { s.stop(); return s.Stream.Close() }
func (s *stream) Reset() error { s.stop(); return s.Stream.Reset() }

func (c *Client) open(ctx context.Context, req Request) (*stream, *wire.Reader, error) {
	// A user is waiting: do not let the swarm's dial backoff from an
	// earlier failure (the peer was down) refuse this dial.
	p2p.ClearDialBackoff(c.h, c.peer)
	ns, err := c.h.NewStream(network.WithDialPeerTimeout(ctx, dialTimeout), c.peer, p2p.ProtoFiles)
	if err != nil {
		return nil, nil, fmt.Errorf("open files stream to %s: %w", c.peer, p2p.NoRoute(c.h.Peerstore(), c.peer, err))
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = ns.SetDeadline(dl)
	}
	st := &stream{Stream: ns, stop: context.AfterFunc(ctx, func() { _ = ns.Reset() })}
	if err := wire.WriteFrame(st, req); err != nil {
		_ = st.Reset()
		return nil, nil, err
	}
	return st, wire.NewReader(st, maxFrame), nil
}

func readReply(rd *wire.Reader) (Reply, error) {
	var r Reply
	if err := rd.ReadFrame(&r); err != nil {
		if errors.Is(err, io.EOF) {
			return r, fmt.Errorf("files stream closed without a reply: %w", io.ErrUnexpectedEOF)
		}
		return r, err
	}
	if r.Err != nil {
		return r, remoteErr(r.Err)
	}
	return r, nil
}

// call sends req and reads one reply.
func (c *Client) call(ctx context.Context, req Request) (Reply, error) {
	st, rd, err := c.open(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	defer st.Close()
	r, err := readReply(rd)
	if err != nil {
		_ = st.Reset()
	}
	return r, err
}

// Shares lists the remote node's shares this node may see, with its right.
func (c *Client) Shares(ctx context.Context) ([]ShareInfo, error) {
	r, err := c.call(ctx, Request{Op: OpShares})
	return r.Shares, err
}

// Stat describes share/path.
func (c *Client) Stat(ctx context.Context, share, path string) (Entry, error) {
	r, err := c.call(ctx, Request{Op: OpStat, Share: share, Path: path})
	if err != nil {
		return Entry{}, err
	}
	if r.Entry == nil {
		return Entry{}, fmt.Errorf("stat reply without an entry")
	}
	return *r.Entry, nil
}

// ReadDirFunc lists a folder in name order, calling fn per batch as
// batches arrive.
func (c *Client) ReadDirFunc(ctx context.Context, share, path string, fn func([]Entry) error) error {
	st, rd, err := c.open(ctx, Request{Op: OpReadDir, Share: share, Path: path})
	if err != nil {
		return err
	}
	defer st.Close()
	for {
		r, err := readReply(rd)
		if err != nil {
			_ = st.Reset()
			return err
		}
		if len(r.Entries) > 0 {
			if err := fn(r.Entries); err != nil {
				_ = st.Reset()
				return err
			}
		}
		if !r.More {
			return nil
		}
	}
}

// ReadDir lists a folder in name order.
func (c *Client) ReadDir(ctx context.Context, share, path string) ([]Entry, error) {
	var out []Entry
	err := c.ReadDirFunc(ctx, share, path, func(es []Entry) error { out = append(out, es...); return nil })
	return out, err
}

// Mkdir creates a folder (and missing parents).
func (c *Client) Mkdir(ctx context.Context, share, path string) error {
	_, err := c.call(ctx, Request{Op: OpMkdir, Share: share, Path: path})
	return err
}

// Remove removes a file or empty folder; recursive removes a tree.
func (c *Client) Remove(ctx context.Context, share, path string, recursive bool) error {
	_, err := c.call(ctx, Request{Op: OpRemove, Share: share, Path: path, Recursive: recursive})
	return err
}

// Rename moves a file or folder inside a share, replacing a file at to.
func (c *Client) Rename(ctx context.Context, share, from, to string) error {
	_, err := c.call(ctx, Request{Op: OpRename, Share: share, Path: from, To: to})
	return err
}

// Reader streams a range of a remote file. Read returns io.EOF after the
// range only if the sharing node confirms the file did not change while
// it was read (else ErrChanged) and, for a Reader from OpenRead, the
// digest of the bytes received matches the sender's (else ErrCorrupt).
// The last bytes of the range are held back until that check passes, so
// a consumer that stops at the first error never sees the range whole
// when it was not. Close it.
type Reader struct {
	st     *stream
	rd     *wire.Reader
	Entry  Entry // the file when the read began
	Offset int64 // first byte of the range
	Length int64 // bytes in the range
	Hash   Hash  // the digest the trailer carries
	left   int64
	h      hash.Hash // nil: not checking (the caller hashes)
	sum    []byte    // sender's trailer digest
	err    error
}

// OpenRead opens share/path for reading length bytes from offset
// (length 0: to the end), checked end to end (see Reader).
func (c *Client) OpenRead(ctx context.Context, share, path string, offset, length int64) (*Reader, error) {
	r, err := c.openRead(ctx, Request{Op: OpRead, Share: share, Path: path, Offset: offset, Length: length, Hash: c.offer})
	if err != nil {
		return nil, err
	}
	r.h = r.Hash.New()
	return r, nil
}

// openRead opens a read without checking it: the caller hashes the bytes
// (getOnce, in its copy pipeline) and compares with Sum.
func (c *Client) openRead(ctx context.Context, req Request) (*Reader, error) {
	st, rd, err := c.open(ctx, req)
	if err != nil {
		return nil, err
	}
	r, err := readReply(rd)
	if err != nil {
		_ = st.Reset()
		return nil, err
	}
	if err := checkReadReply(req, r); err != nil {
		_ = st.Reset()
		return nil, err
	}
	return &Reader{st: st, rd: rd, Entry: *r.Entry, Offset: r.Offset, Length: r.Length, Hash: r.Hash, left: r.Length}, nil
}

// checkReadReply checks the remote's answer to a read before any byte is
// taken: an entry, a known digest, and the range asked for, never more
// nor elsewhere (ReadAt slices its buffer by the length it claims).
func checkReadReply(req Request, r Reply) error {
	if r.Entry == nil || r.Length < 0 || !r.Hash.known() {
		return fmt.Errorf("read reply without an entry or with an unknown digest %q", r.Hash)
	}
	if r.Offset != req.Offset || (req.Length > 0 && r.Length > req.Length) {
		return fmt.Errorf("read reply for bytes %d+%d, asked %d+%d", r.Offset, r.Length, req.Offset, req.Length)
	}
	return nil
}

// Read reads the range.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.left == 0 {
		r.err = r.finish()
		if r.err == nil {
			r.err = io.EOF
		}
		return 0, r.err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rd.Read(p)
	r.left -= int64(n)
	if r.h != nil {
		r.h.Write(p[:n])
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		r.err = fmt.Errorf("read %s: %w", r.Entry.Name, err)
		return n, r.err
	}
	if r.left == 0 && r.h != nil {
		// The range is complete: check it before handing over its last
		// bytes.
		if r.err = r.finish(); r.err != nil {
			return 0, r.err
		}
		r.err = io.EOF
	}
	return n, nil
}

func (r *Reader) finish() error {
	var t Reply
	if err := r.rd.ReadFrame(&t); err != nil {
		return fmt.Errorf("read trailer of %s: %w", r.Entry.Name, err)
	}
	if t.Err != nil {
		return remoteErr(t.Err)
	}
	r.sum = t.Sum
	if t.Changed {
		return fmt.Errorf("%s: %w", r.Entry.Name, ErrChanged)
	}
	if r.h != nil && string(r.h.Sum(nil)) != string(t.Sum) {
		return fmt.Errorf("%w: %s, bytes %d-%d", ErrCorrupt, r.Entry.Name, r.Offset, r.Offset+r.Length)
	}
	return nil
}

// Sum returns the sender's digest (in r.Hash) of what it sent (or of the
// whole file, for a HashAll read), known after Read returned io.EOF.
func (r *Reader) Sum() []byte { return r.sum }

// Close ends the read (early or not).
func (r *Reader) Close() error {
	if r.left > 0 || r.err == nil {
		return r.st.Reset()
	}
	return r.st.Close()
}

// ReadAt reads len(p) bytes at off of share/path (io.ReaderAt-like; one
// stream per call).
func (c *Client) ReadAt(ctx context.Context, share, path string, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, err := c.OpenRead(ctx, share, path, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, err := io.ReadFull(r, p[:r.Length])
	if err != nil {
		return n, err
	}
	if _, err := r.Read(nil); err != io.EOF {
		return n, err
	}
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// Put uploads size bytes from src to share/path (temp file on the sharing
// node, digest checked, fsync, rename into place; mtime kept when
// non-zero). It does not resume: see PutFile for that.
func (c *Client) Put(ctx context.Context, share, path string, src io.Reader, size int64, mtime time.Time) (Entry, error) {
	var mt int64
	if !mtime.IsZero() {
		mt = mtime.UnixNano()
	}
	req := Request{Op: OpWrite, Share: share, Path: path, Size: size, Mtime: mt, Hash: c.offer}
	return c.put(ctx, req, func(off int64, algo Hash, w io.Writer) ([]byte, error) {
		h := algo.New()
		n, err := copyShaped(fullPipe.fit(size), w, io.LimitReader(src, size), h, nil)
		if err != nil {
			return nil, err
		}
		if n != size {
			return nil, fmt.Errorf("source ended after %d of %d bytes", n, size)
		}
		return h.Sum(nil), nil
	})
}

// put runs one upload: send writes the bytes from the offset the server
// answers and returns the whole file's digest in algorithm algo (the one
// the server chose; nil with errAbort to give up).
func (c *Client) put(ctx context.Context, req Request, send func(off int64, algo Hash, w io.Writer) ([]byte, error)) (Entry, error) {
	st, rd, err := c.open(ctx, req)
	if err != nil {
		return Entry{}, err
	}
	defer st.Close()
	r, err := readReply(rd)
	if err != nil {
		_ = st.Reset()
		return Entry{}, err
	}
	if r.Offset < 0 || r.Offset > req.Size || !r.Hash.known() {
		_ = st.Reset()
		return Entry{}, fmt.Errorf("bad resume offset %d or unknown digest %q", r.Offset, r.Hash)
	}
	// The sharing node may refuse mid-way (full disk): watch for its
	// reply while sending, and stop sending when it comes.
	replies := make(chan replyOrErr, 1)
	var sending atomic.Bool
	sending.Store(true)
	go func() {
		r, err := readReply(rd)
		replies <- replyOrErr{r, err}
		if err != nil && sending.Load() {
			_ = st.Reset() // unblock the sender
		}
	}()
	sum, serr := send(r.Offset, r.Hash, st)
	sending.Store(false)
	var tr Trailer
	if cut := (*CutError)(nil); errors.As(serr, &cut) {
		// The source broke off: end the stream cleanly, so the member
		// keeps every byte sent (a resumable partial upload).
		_ = st.CloseWrite()
		<-replies
		return Entry{}, serr
	}
	if serr != nil {
		var ab *abortError
		if !errors.As(serr, &ab) {
			_ = st.Reset()
			select {
			case got := <-replies:
				if got.err != nil && got.r.Err != nil {
					return Entry{}, got.err
				}
			default:
			}
			return Entry{}, serr
		}
		tr.Abort = ab.msg
	}
	tr.Sum = sum
	if err := wire.WriteFrame(st, tr); err != nil {
		_ = st.Reset()
		if got := <-replies; got.err != nil && got.r.Err != nil {
			return Entry{}, got.err
		}
		return Entry{}, err
	}
	_ = st.CloseWrite()
	got := <-replies
	if got.err != nil {
		return Entry{}, got.err
	}
	if serr != nil {
		return Entry{}, serr
	}
	if got.r.Entry == nil {
		return Entry{}, fmt.Errorf("write reply without an entry")
	}
	return *got.r.Entry, nil
}

type replyOrErr struct {
	r   Reply
	err error
}

type abortError struct{ msg string }

func (e *abortError) Error() string { return e.msg }
func (e *abortError) Unwrap() error { return ErrChanged }
