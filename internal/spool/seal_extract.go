package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"filippo.io/age"

	"github.com/peerhood/peerhood/internal/wire"
)

const (
	extractSegment = 4 << 20
	extractWorkers = 3
)

// Extraction: a received payload's files are written under a folder
// through a placer (seal_place.go), from a stream (extractPayload: inline
// ciphertexts, staging) or from a spooled ciphertext decrypted several
// segments at once (extractFile).

// sealedFile is a spooled ciphertext opened for random-access decryption.
type sealedFile struct {
	src    *os.File
	ra     io.ReaderAt
	size   int64 // plaintext bytes
	hdr    PayloadHeader
	bodyAt int64 // plaintext offset of the first file's bytes
}

// openSealedFile opens a spooled ciphertext and reads its payload header.
func openSealedFile(path string, id age.Identity) (*sealedFile, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sf, err := readSealedHeader(src, id)
	if err != nil {
		src.Close()
		return nil, err
	}
	return sf, nil
}

func readSealedHeader(src *os.File, id age.Identity) (*sealedFile, error) {
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
	if err != nil || n > maxHeader || n > uint64(ptSize) {
		return nil, fmt.Errorf("payload header: bad length")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, fmt.Errorf("payload header: %w", err)
	}
	sf := &sealedFile{src: src, ra: ra, size: ptSize}
	if err := wire.Unmarshal(body, &sf.hdr); err != nil {
		return nil, fmt.Errorf("payload header: %w", err)
	}
	if err := sf.hdr.check(); err != nil {
		return nil, err
	}
	sf.bodyAt = int64(len(binary.AppendUvarint(nil, n))) + int64(n)
	total := sf.bodyAt
	for _, f := range sf.hdr.Files {
		total += int64(f.Size)
	}
	if total != ptSize {
		return nil, fmt.Errorf("payload is %d bytes, its header accounts for %d", ptSize, total)
	}
	return sf, nil
}

// segment is one piece of plaintext to decrypt and write.
type segment struct {
	w           io.WriterAt
	fileOff     int64
	srcOff, len int64
}

// extractFile decrypts a spooled ciphertext with age's random-access
// reader, several segments at once, and writes its files under dest
// through a placer (tag names the temporary files), never replacing an
// existing file. Every chunk is authenticated as it is decrypted.
func extractFile(path string, id age.Identity, dest, tag string) (written []string, err error) {
	sf, err := openSealedFile(path, id)
	if err != nil {
		return nil, err
	}
	defer sf.src.Close()
	p, err := newPlacer(dest, tag)
	if err != nil {
		return nil, err
	}
	defer func() { p.close(err) }()
	files := make([]*os.File, 0, len(sf.hdr.Files))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	var segs []segment
	off := sf.bodyAt
	for i, fe := range sf.hdr.Files {
		fh, err := p.create(i, fe)
		if err != nil {
			return nil, err
		}
		files = append(files, fh)
		w := p.writer(i, fe, fh)
		for o := int64(0); o < int64(fe.Size); o += extractSegment {
			segs = append(segs, segment{w, o, off + o, min(extractSegment, int64(fe.Size)-o)})
		}
		off += int64(fe.Size)
	}
	if err := sf.decryptSegments(segs); err != nil {
		return nil, err
	}
	for i, fe := range sf.hdr.Files {
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

// decryptSegments decrypts and writes segs on extractWorkers goroutines;
// it returns the first error.
func (sf *sealedFile) decryptSegments(segs []segment) error {
	work := make(chan segment)
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
				if _, err := sf.ra.ReadAt(b, s.srcOff); err != nil && !(errors.Is(err, io.EOF) && s.srcOff+s.len == sf.size) {
					fail(fmt.Errorf("decrypt: %w", err))
					continue
				}
				if _, err := s.w.WriteAt(b, s.fileOff); err != nil {
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
	return <-errs
}

// extractPayload writes the payload's files under dest through a placer
// (tag names its temporary files), never replacing an existing file.
func extractPayload(hdr *PayloadHeader, r io.Reader, dest, tag string) (written []string, err error) {
	p, err := newPlacer(dest, tag)
	if err != nil {
		return nil, err
	}
	defer func() { p.close(err) }()
	buf := make([]byte, 1<<20)
	for i, f := range hdr.Files {
		fh, err := p.create(i, f)
		if err != nil {
			return nil, err
		}
		n, err := io.CopyBuffer(&behindWriter{w: p.writer(i, f, fh), f: fh}, io.LimitReader(r, int64(f.Size)), buf)
		if err == nil && n != int64(f.Size) {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			fh.Close()
			return nil, fmt.Errorf("write %s (%d of %d bytes): %w", f.Path, n, f.Size, err)
		}
		if err := p.commit(i, f, fh); err != nil {
			return nil, err
		}
		written = append(written, filepath.FromSlash(f.Path))
	}
	// Read to the end so age authenticates the final chunk.
	if n, err := io.Copy(io.Discard, r); err != nil || n != 0 {
		return nil, fmt.Errorf("payload ends badly (%d trailing bytes): %v", n, err)
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return written, nil
}
