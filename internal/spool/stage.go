package spool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/peer"
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
// while fewer than pipeBufs buffers of 256 KiB are in flight.
type chanPipe struct {
	ch   chan []byte
	free bufList
	buf  []byte // the buffer being read, whole
	cur  []byte // what is left of it
}

const pipeBufs = 32

func newChanPipe() *chanPipe { return &chanPipe{ch: make(chan []byte, pipeBufs), free: newBufList()} }

func (p *chanPipe) Write(b []byte) (int, error) { return p.free.send(p.ch, b), nil }

func (p *chanPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free.put(p.buf)
			p.buf = nil
		}
		buf, ok := <-p.ch
		if !ok {
			return 0, io.EOF
		}
		p.buf, p.cur = buf, buf
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// bufList hands out up to pipeBufs buffers of 256 KiB, made on first
// need and reused (no garbage per write, unlike a sync.Pool emptied by
// every collection); get waits when all are in flight.
type bufList struct {
	free chan []byte
	made *int
}

func newBufList() bufList { return bufList{free: make(chan []byte, pipeBufs), made: new(int)} }

func (l bufList) get() []byte {
	select {
	case b := <-l.free:
		return b
	default:
	}
	if *l.made < pipeBufs {
		*l.made++
		return make([]byte, 0, 256<<10)
	}
	return <-l.free
}

func (l bufList) put(b []byte) { l.free <- b[:0] }

// send copies p into buffers of l and sends them on ch; it returns len(p).
func (l bufList) send(ch chan<- []byte, p []byte) int {
	total := len(p)
	for len(p) > 0 {
		b := l.get()
		n := min(len(p), cap(b))
		ch <- append(b[:0], p[:n]...)
		p = p[n:]
	}
	return total
}

// closeWrite ends the input; drain discards what the reader left.
func (p *chanPipe) closeWrite() { close(p.ch) }
func (p *chanPipe) drain() {
	for b := range p.ch {
		p.free.put(b)
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
			_, err = extractPayload(hdr, body, dir)
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

// receiveInbox receives a message's ciphertext for the inbox. A large
// plain file copy comes back staged (hdr set, stage the folder name under
// spool/plain, the partial ciphertext left for the caller to remove once
// the row is stored); anything else comes back as a committed ciphertext.
func (s *Service) receiveInbox(r io.Reader, key string, off uint64, env *Envelope) (sl sealed, hdr *PayloadHeader, stage string, err error) {
	if env.Size <= InlineMax || env.Kind != KindFile {
		sl, err = s.spool.receive(r, key, off, env.Size, env.Hash)
		return sl, nil, "", err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	stage = env.IDString() + "-" + hex.EncodeToString(rnd[:])
	if err := os.MkdirAll(filepath.Join(s.spool.root, "plain"), 0o700); err != nil {
		return sealed{}, nil, "", fmt.Errorf("spool: %w", err)
	}
	stg := startStager(s.spool.plainDir(stage), s.id.Age)
	f, sum, err := s.spool.receiveFile(r, key, off, env.Size, env.Hash, stg.p)
	hdr, serr := stg.finish()
	if err != nil {
		os.RemoveAll(s.spool.plainDir(stage))
		return sealed{}, nil, "", err
	}
	sl = sealed{hash: sum, size: env.Size}
	if serr != nil {
		if !errors.Is(serr, errNotStaged) {
			s.log.Debug("not staged; kept as ciphertext", "id", env.IDString(), "err", serr)
		}
		return sl, nil, "", s.spool.commit(f, hex.EncodeToString(sum))
	}
	f.Close()
	return sl, hdr, stage, nil
}

// storeReceived stores what receiveInbox returned: a staged copy as is,
// anything else through prepareIncoming. It returns the receipt.
func (s *Service) storeReceived(ctx context.Context, env *Envelope, envBytes []byte, key string, sl sealed, hdr *PayloadHeader, stage string, via peer.ID) ([]byte, error) {
	if hdr == nil {
		return s.storeIncoming(ctx, env, envBytes, sl, via)
	}
	rec, err := newReceipt(s.id.Key, s.self, env.ID, env.SenderID(), StatusAccepted, "")
	if err != nil {
		os.RemoveAll(s.spool.plainDir(stage))
		return nil, err
	}
	in := &incoming{env: env, envBytes: envBytes, sl: sl, hdr: hdr, receipt: rec, state: ItemNew, staged: stage}
	if err := s.insertIncoming(ctx, []*incoming{in}, via); err != nil {
		os.RemoveAll(s.spool.plainDir(stage))
		return nil, err
	}
	os.Remove(s.spool.partial(key))
	return in.receipt, nil
}

// acceptStaged links (or, across file systems, copies) a staged copy's
// files into dest through os.Root, never replacing a file, and fsyncs
// the folders it wrote into.
func acceptStaged(stageDir string, files []FileEntry, dest string) (written []string, err error) {
	root, err := openDest(dest)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	defer undoOnError(root, &written, &err)
	dirs := map[string]bool{".": true}
	for _, f := range files {
		name := filepath.FromSlash(f.Path)
		d := filepath.Dir(name)
		if d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return written, fmt.Errorf("create folder %s: %w", d, err)
			}
			for x := d; x != "."; x = filepath.Dir(x) {
				dirs[x] = true
			}
		}
		src := filepath.Join(stageDir, name)
		if err := placeFile(root, d, name, src, f); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return written, fmt.Errorf("%s already exists in %s: choose another destination", f.Path, dest)
			}
			return written, fmt.Errorf("place %s: %w", f.Path, err)
		}
		written = append(written, name)
	}
	for d := range dirs {
		fh, err := root.Open(d)
		if err != nil {
			return written, err
		}
		err = fh.Sync()
		fh.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			return written, fmt.Errorf("fsync %s: %w", d, err)
		}
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return written, fmt.Errorf("fsync %s: %w", filepath.Dir(dest), err)
	}
	return written, nil
}

// placeFile links src as name (in folder d) under root; where links do not
// work (another file system) it copies and fsyncs.
func placeFile(root *os.Root, d, name, src string, f FileEntry) error {
	dir, err := root.Open(d)
	if err != nil {
		return err
	}
	err = linkInto(src, dir, filepath.Base(name))
	dir.Close()
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(f.Mode&0o777)|0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = root.Remove(name)
	}
	return err
}

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
