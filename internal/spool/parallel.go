package spool

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"

	"filippo.io/age"

	"github.com/peerhood/peerhood/internal/wire"
)

// asyncHash hashes what is written to it on its own goroutine, so hashing
// a large ciphertext overlaps with encrypting, sending or writing it.
type asyncHash struct {
	ch   chan []byte
	done chan struct{}
	h    hash.Hash
	free bufList
	sum  []byte
}

func newAsyncHash() *asyncHash {
	a := &asyncHash{ch: make(chan []byte, pipeBufs), done: make(chan struct{}), h: sha256.New(), free: newBufList()}
	go func() {
		defer close(a.done)
		for b := range a.ch {
			a.h.Write(b)
			a.free.put(b)
		}
	}()
	return a
}

// Write hands p to the hashing goroutine (copied); only one goroutine
// may write.
func (a *asyncHash) Write(p []byte) (int, error) { return a.free.send(a.ch, p), nil }

// Sum stops the hasher and returns the digest (idempotent).
func (a *asyncHash) Sum() []byte {
	if a.sum == nil {
		close(a.ch)
		<-a.done
		a.sum = a.h.Sum(nil)
	}
	return a.sum
}

const (
	extractSegment = 4 << 20
	extractWorkers = 3
)

// extractFile decrypts a spooled ciphertext with age's random-access
// reader, several segments at once, and writes its files under dest (through
// os.Root), never replacing an existing file. Every chunk is authenticated
// as it is decrypted; the final one before anything is written.
func extractFile(path string, id age.Identity, dest, tag string) (written []string, err error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, err
	}
	ra, ptSize, err := age.DecryptReaderAt(src, fi.Size(), id)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	br := bufio.NewReader(io.NewSectionReader(ra, 0, ptSize))
	n, err := binary.ReadUvarint(br)
	if err != nil || n > maxHeader {
		return nil, fmt.Errorf("payload header: bad length")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, fmt.Errorf("payload header: %w", err)
	}
	var hdr PayloadHeader
	if err := wire.Unmarshal(body, &hdr); err != nil {
		return nil, fmt.Errorf("payload header: %w", err)
	}
	if err := hdr.check(); err != nil {
		return nil, err
	}
	off := int64(len(binary.AppendUvarint(nil, n))) + int64(n)
	total := off
	for _, f := range hdr.Files {
		total += int64(f.Size)
	}
	if total != ptSize {
		return nil, fmt.Errorf("payload is %d bytes, its header accounts for %d", ptSize, total)
	}
	p, err := newPlacer(dest, tag)
	if err != nil {
		return nil, err
	}
	defer func() { p.close(err) }()
	var files []*os.File
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	type seg struct {
		f           io.WriterAt
		fileOff     int64
		srcOff, len int64
	}
	var segs []seg
	for i, fe := range hdr.Files {
		fh, err := p.create(i, fe)
		if err != nil {
			return nil, err
		}
		files = append(files, fh)
		wa := p.writer(i, fe, fh)
		for o := int64(0); o < int64(fe.Size); o += extractSegment {
			segs = append(segs, seg{wa, o, off + o, min(extractSegment, int64(fe.Size)-o)})
		}
		off += int64(fe.Size)
	}
	work := make(chan seg)
	errs := make(chan error, 1)
	fail := func(err error) { // the first error is kept; the rest dropped
		select {
		case errs <- err:
		default:
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < extractWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, extractSegment)
			for s := range work {
				b := buf[:s.len]
				if _, err := ra.ReadAt(b, s.srcOff); err != nil && !(errors.Is(err, io.EOF) && s.srcOff+s.len == ptSize) {
					fail(fmt.Errorf("decrypt: %w", err))
					continue
				}
				if _, err := s.f.WriteAt(b, s.fileOff); err != nil {
					fail(err)
				}
			}
		}()
	}
	for _, s := range segs {
		work <- s
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	for i, fe := range hdr.Files {
		fh := files[i]
		files[i] = nil
		if err := p.commit(i, fe, fh); err != nil {
			return nil, err
		}
		written = append(written, filepath.FromSlash(fe.Path))
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return written, nil
}
