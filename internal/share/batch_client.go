package share

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/peerhood/peerhood/internal/events"
	"github.com/peerhood/peerhood/internal/wire"
)

// errNoBatch: the peer does not know batches (or refused this one); the
// files go one by one.
var errNoBatch = errors.New("batch refused")

// openBatch opens a batch stream on share and reads its first reply
// (the digest both ends use).
func (c *Client) openBatch(ctx context.Context, share string) (*stream, *wire.Reader, Hash, error) {
	if c.noBatch.Load() {
		return nil, nil, "", errNoBatch
	}
	st, rd, err := c.open(ctx, Request{Op: OpBatch, Share: share, Hash: c.offer})
	if err != nil {
		return nil, nil, "", err
	}
	r, err := readReply(rd)
	if err == nil && !r.Hash.known() {
		err = fmt.Errorf("batch reply with an unknown digest %q", r.Hash)
	}
	if err != nil {
		_ = st.Reset()
		var re *RemoteError
		if errors.As(err, &re) && re.Code == wire.CodeBadRequest && strings.Contains(re.Message, "unknown operation") {
			c.noBatch.Store(true)
		}
		return nil, nil, "", fmt.Errorf("%w: %w", errNoBatch, err)
	}
	return st, rd, r.Hash, nil
}

// batchGet is a file of a get -r that may go in a batch.
type batchGet struct {
	remote, local string
	e             Entry // from the listing
}

// getBatch downloads items (files of at most batchMaxFile) on one
// stream. Each lands like getFile's: a hidden partial file, digest
// checked, fdatasync'd, mtime set, renamed into place; the folders they
// landed in are fsync'd once at the end. left are the items it did not
// bring (refused, changed, or the stream broke): the caller gets them
// one by one with getFile, which retries and reports.
func (c *Client) getBatch(ctx context.Context, share string, items []batchGet, o TransferOptions, res *Result) (left []batchGet, err error) {
	st, rd, algo, err := c.openBatch(ctx, share)
	if err != nil {
		return items, nil
	}
	defer st.Close()
	bw := bufio.NewWriter(st)
	for _, it := range items {
		if err := wire.WriteFrame(bw, Request{Op: OpRead, Path: it.remote}); err != nil {
			_ = st.Reset()
			return items, nil
		}
	}
	if err := bw.Flush(); err != nil {
		_ = st.Reset()
		return items, nil
	}
	_ = st.CloseWrite()
	bp := batchBufs.Get().(*[]byte)
	defer batchBufs.Put(bp)
	buf := *bp
	dirs := map[string]bool{}
	for i, it := range items {
		ok, err := c.getItem(rd, algo, share, it, buf, o, res)
		if err != nil { // the stream is out of step or broken
			_ = st.Reset()
			left = append(left, items[i:]...)
			break
		}
		if !ok {
			left = append(left, it)
			continue
		}
		dirs[filepath.Dir(it.local)] = true
	}
	for d := range dirs {
		if err := syncLocalDir(d); err != nil {
			return left, fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return left, nil
}

// getItem reads one item's answer and places its file; ok is false when
// the item is to be fetched again alone, err when the stream is lost.
func (c *Client) getItem(rd *wire.Reader, algo Hash, share string, it batchGet, buf []byte, o TransferOptions, res *Result) (ok bool, err error) {
	r, err := readReply(rd)
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) { // refused alone: the stream goes on
			return false, nil
		}
		return false, err
	}
	if r.Entry == nil || r.Length < 0 || r.Length > batchMaxFile {
		return false, fmt.Errorf("batch reply for %s without an entry or with %d bytes", it.remote, r.Length)
	}
	data := buf[:r.Length]
	if _, err := io.ReadFull(rd, data); err != nil {
		return false, fmt.Errorf("batch read %s: %w", it.remote, err)
	}
	var t Reply
	if err := rd.ReadFrame(&t); err != nil {
		return false, fmt.Errorf("batch read trailer %s: %w", it.remote, err)
	}
	h := algo.New()
	h.Write(data)
	sum := h.Sum(nil)
	e := *r.Entry
	if t.Err != nil || t.Changed || string(sum) != string(t.Sum) ||
		e.Size != it.e.Size || e.Mtime != it.e.Mtime || r.Length != e.Size {
		return false, nil
	}
	if err := writeLocalFile(localPartName(it.local, c, share, it.remote, e), it.local, data, e); err != nil {
		return false, nil // getFile tries it alone, and reports
	}
	oo, tp := o.publishing(c, events.DirectionDownload, share, it.remote)
	if oo.Progress != nil {
		oo.Progress(it.remote, e.Size, e.Size)
	}
	tp.Done(nil)
	res.Files++
	res.Bytes += e.Size
	res.Sent += e.Size
	res.setDigest(algo, sum)
	return true, nil
}

// writeLocalFile writes a downloaded file to its partial name,
// fdatasyncs it and renames it into place with mode 0644 and the remote
// mtime (as getOnce and placePartial do).
func writeLocalFile(partPath, local string, data []byte, e Entry) error {
	f, err := os.OpenFile(partPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = writePart(f, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(partPath, e.ModTime(), e.ModTime())
	}
	if err == nil {
		err = os.Rename(partPath, local)
	}
	if err != nil {
		os.Remove(partPath)
	}
	return err
}

// syncLocalDir fsyncs a local folder (the renames into it).
func syncLocalDir(d string) error {
	f, err := os.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// batchPut is a file of a put -r that may go in a batch.
type batchPut struct{ local, remote string }

// putBatch uploads items (local files of at most batchMaxFile) on one
// stream: it sends them all without waiting, and reads the sharing
// node's replies (each sent once the file and its folder are durable)
// as they come. left are the items not acknowledged (read here, refused
// there, or the stream broke): the caller sends them one by one with
// PutFile, which retries and reports.
func (c *Client) putBatch(ctx context.Context, share string, items []batchPut, o TransferOptions, res *Result) (left []batchPut) {
	st, rd, algo, err := c.openBatch(ctx, share)
	if err != nil {
		return items
	}
	defer st.Close()
	sent := make(chan batchPut, len(items))
	var mu sync.Mutex // left
	acks := make(chan struct{})
	go func() {
		defer close(acks)
		broken := false
		for it := range sent {
			if !broken {
				r, err := readReply(rd)
				if err == nil && r.Entry != nil {
					c.putDone(share, it, r.Entry.Size, o, res)
					continue
				}
				var re *RemoteError
				if err == nil || !errors.As(err, &re) {
					broken = true
					_ = st.Reset() // unblock the sender
				}
			}
			mu.Lock()
			left = append(left, it)
			mu.Unlock()
		}
	}()
	bw := bufio.NewWriterSize(st, batchWriteBuf)
	for i, it := range items {
		data, mtime, err := readSmallFile(it.local)
		if err != nil {
			mu.Lock()
			left = append(left, it)
			mu.Unlock()
			continue
		}
		h := algo.New()
		h.Write(data)
		if err := sendPutItem(bw, it.remote, data, mtime, h.Sum(nil)); err != nil {
			mu.Lock()
			left = append(left, items[i:]...)
			mu.Unlock()
			break
		}
		sent <- it
	}
	if err := bw.Flush(); err != nil {
		_ = st.Reset()
	}
	_ = st.CloseWrite()
	close(sent)
	<-acks
	return left
}

// putDone counts and reports one acknowledged upload. The ack reader
// alone calls it, so res needs no lock.
func (c *Client) putDone(share string, it batchPut, size int64, o TransferOptions, res *Result) {
	oo, tp := o.publishing(c, events.DirectionUpload, share, it.remote)
	if oo.Progress != nil {
		oo.Progress(it.remote, size, size)
	}
	tp.Done(nil)
	res.Files++
	res.Bytes += size
	res.Sent += size
}

// sendPutItem writes one upload item: Request{write}, the bytes, the
// Trailer.
func sendPutItem(w io.Writer, remote string, data []byte, mtime int64, sum []byte) error {
	if err := wire.WriteFrame(w, Request{Op: OpWrite, Path: remote, Size: int64(len(data)), Mtime: mtime}); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return wire.WriteFrame(w, Trailer{Sum: sum})
}

// readSmallFile reads a local file of at most batchMaxFile whole, and
// fails if it changed while it was read (PutFile then sends it alone).
func readSmallFile(local string) (data []byte, mtime int64, err error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > batchMaxFile {
		return nil, 0, fmt.Errorf("%s: not a small file", local)
	}
	data = make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, 0, err
	}
	if changedSince(f, local, fi) {
		return nil, 0, fmt.Errorf("%s: %w", local, ErrChanged)
	}
	return data, fi.ModTime().UnixNano(), nil
}
