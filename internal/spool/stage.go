package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"
)

// A large file copy arriving directly or from a mailbox is decrypted while
// it arrives, on its own goroutine, into a staging folder spool/plain/NAME
// (the ciphertext still goes to spool/partial for resuming). Once the
// ciphertext's hash checks out and the staged files are fsynced, the inbox
// row records the folder and the ciphertext is dropped; `inbox accept`
// then links the files into the destination (a rename on the same file
// system, a copy across file systems) instead of decrypting them again.

var errNotStaged = errors.New("payload is not a plain file copy")

// chanPipe is an in-memory pipe whose writer does not wait for the reader
// while fewer than pipeBufs buffers are in flight. Write copies; share
// hands over a buffer without copying.
type chanPipe struct {
	ch   chan *refBuf
	free bufList
	buf  *refBuf // the buffer being read
	cur  []byte  // what is left of it
}

func newChanPipe() *chanPipe { return &chanPipe{ch: make(chan *refBuf, pipeBufs), free: newBufList()} }

func (p *chanPipe) Write(b []byte) (int, error) { return p.free.send(p.ch, b), nil }

// share passes r to the reader, which releases it once read; the caller
// must hold a reference for it.
func (p *chanPipe) share(r *refBuf) { p.ch <- r }

func (p *chanPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.buf.release()
			p.buf = nil
		}
		buf, ok := <-p.ch
		if !ok {
			return 0, io.EOF
		}
		p.buf, p.cur = buf, buf.b
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// closeWrite ends the input; drain discards what the reader left.
func (p *chanPipe) closeWrite() { close(p.ch) }
func (p *chanPipe) drain() {
	if p.buf != nil {
		p.buf.release()
		p.buf, p.cur = nil, nil
	}
	for b := range p.ch {
		b.release()
	}
}

// stager decrypts what is written to its pipe into a staging folder.
type stager struct {
	p    *chanPipe
	done chan struct{}
	dir  string
	hdr  *PayloadHeader
	err  error
}

func startStager(dir string, id age.Identity) *stager {
	st := &stager{p: newChanPipe(), done: make(chan struct{}), dir: dir}
	go func() {
		defer close(st.done)
		defer st.p.drain()
		hdr, body, err := openPayload(st.p, id)
		if err == nil && (hdr.Kind != KindFile || hdr.Share != "") {
			err = errNotStaged
		}
		if err == nil {
			_, err = extractPayload(hdr, body, dir, "stage")
		}
		if err == nil {
			err = syncFolders(dir, hdr.Files)
		}
		st.hdr, st.err = hdr, err
	}()
	return st
}

// finish ends the input and waits: the header when the payload is staged.
func (st *stager) finish() (*PayloadHeader, error) {
	st.p.closeWrite()
	<-st.done
	if st.err != nil {
		os.RemoveAll(st.dir)
		return nil, st.err
	}
	return st.hdr, nil
}

// syncFolders fsyncs root, its parent and every folder holding one of files.
func syncFolders(root string, files []FileEntry) error {
	dirs := map[string]bool{filepath.Dir(root): true, root: true}
	for _, f := range files {
		for d := filepath.Dir(filepath.FromSlash(f.Path)); d != "."; d = filepath.Dir(d) {
			dirs[filepath.Join(root, d)] = true
		}
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("fsync %s: %w", d, err)
		}
	}
	return nil
}

func (d *spoolDir) plainDir(name string) string { return filepath.Join(d.root, "plain", name) }

// cleanStaging removes staging folders no new inbox item refers to
// (left by an interrupted transfer or a crash).
func (s *Service) cleanStaging(ctx context.Context) {
	ents, err := os.ReadDir(filepath.Join(s.spool.root, "plain"))
	if err != nil {
		return
	}
	for _, e := range ents {
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM spool_inbox WHERE staged=? AND state=?`, e.Name(), ItemNew).Scan(&n)
		if err == nil && n == 0 {
			os.RemoveAll(filepath.Join(s.spool.root, "plain", e.Name()))
		}
	}
}
