package spool

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// ageStream reads an age file's payload like age.Decrypt's reader, to the
// same rules (the age v1 format: HKDF-SHA256 payload key from the file
// key and the 16-byte nonce, 64 KiB chunks of ChaCha20-Poly1305, an
// 11-byte big-endian counter then a last-chunk flag as the nonce, no
// empty chunk but a lone one, no byte after the last chunk), but opens
// each chunk into one buffer it keeps: age v1.3.2's reader allocates
// 64 KiB per chunk and copies it once more, which showed in the receiving
// node's profile (makeslice, GC). Not in place: ChaCha20-Poly1305 zeroes
// its output when a tag fails, and a full-length chunk that fails as a
// middle chunk must be tried again as the last one. The header itself is parsed, unwrapped and
// its MAC checked by age (age.DecryptHeader).
type ageStream struct {
	src    io.Reader
	a      cipher.AEAD
	buf    [ageEncChunk]byte
	out    [ageChunk]byte
	unread []byte
	nonce  [chacha20poly1305.NonceSize]byte
	err    error
}

const (
	ageChunk      = 64 << 10
	ageEncChunk   = ageChunk + chacha20poly1305.Overhead
	ageNonceSize  = 16
	ageMaxHeader  = 64 << 10
	ageHeaderLine = "--- "
)

var errAgeChunk = errors.New("failed to decrypt and authenticate payload chunk, file may be corrupted or tampered with")

// decryptAge returns a reader of the plaintext of the age file read from
// r, encrypted to id.
func decryptAge(r io.Reader, id age.Identity) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	var hdr bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, fmt.Errorf("failed to read header: %w", err)
		}
		hdr.Write(line)
		if hdr.Len() > ageMaxHeader {
			return nil, errors.New("failed to read header: too long")
		}
		if bytes.HasPrefix(line, []byte(ageHeaderLine)) {
			break // the MAC line ends the header
		}
	}
	fileKey, err := age.DecryptHeader(hdr.Bytes(), id)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, ageNonceSize)
	if _, err := io.ReadFull(br, nonce); err != nil {
		return nil, fmt.Errorf("failed to read nonce: %w", err)
	}
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	a, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	return &ageStream{src: br, a: a}, nil
}

func (s *ageStream) Read(p []byte) (int, error) {
	if len(s.unread) > 0 {
		n := copy(p, s.unread)
		s.unread = s.unread[n:]
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	last, err := s.readChunk()
	if err != nil {
		s.err = err
		return 0, err
	}
	n := copy(p, s.unread)
	s.unread = s.unread[n:]
	if last {
		var one [1]byte
		switch _, err := io.ReadFull(s.src, one[:]); {
		case err == nil:
			s.err = errors.New("trailing data after end of encrypted file")
		case err != io.EOF:
			s.err = fmt.Errorf("non-EOF error reading after end of encrypted file: %w", err)
		default:
			s.err = io.EOF
		}
	}
	return n, nil
}

// readChunk opens the next chunk into s.unread; last reports the
// chunk flagged as the end.
func (s *ageStream) readChunk() (last bool, err error) {
	in := s.buf[:]
	n, err := io.ReadFull(s.src, in)
	switch {
	case err == io.EOF:
		return false, io.ErrUnexpectedEOF // no flagged chunk: truncated
	case err == io.ErrUnexpectedEOF:
		if s.nonce != [chacha20poly1305.NonceSize]byte{} && n == chacha20poly1305.Overhead {
			return false, errors.New("last chunk is empty")
		}
		in, last = in[:n], true
		s.nonce[len(s.nonce)-1] = 1
	case err != nil:
		return false, err
	}
	out, err := s.a.Open(s.out[:0], s.nonce[:], in, nil)
	if err != nil && !last {
		// Maybe a full-length final chunk.
		last = true
		s.nonce[len(s.nonce)-1] = 1
		out, err = s.a.Open(s.out[:0], s.nonce[:], in, nil)
	}
	if err != nil {
		return false, errAgeChunk
	}
	for i := len(s.nonce) - 2; i >= 0; i-- { // the 88-bit counter
		s.nonce[i]++
		if s.nonce[i] != 0 {
			break
		}
	}
	s.unread = out
	return last, nil
}
