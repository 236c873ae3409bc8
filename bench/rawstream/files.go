package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/zeebo/blake3"
)

// With -src and -dst the stream carries a file, doing the work a
// peerhood transfer cannot skip and nothing more: the sender preads
// -src in 1 MiB chunks and writes each to the stream (hashing it with
// BLAKE3 too when -hash-send, as a first send does); the receiver reads
// 1 MiB chunks, hashes them with BLAKE3, writes them to a new -dst and
// fdatasyncs it once at the end. One goroutine each side, no pipeline:
// the floor for a verified file transfer over this transport, the
// yardstick peerhood get/put are held against (bench/share.sh).
var (
	srcFile  = flag.String("src", "", "send this file instead of zeros (needs -dst)")
	dstFile  = flag.String("dst", "", "the receiver writes the file here, hashing it (BLAKE3), fdatasync at the end")
	hashSend = flag.Bool("hash-send", false, "with -src: the sender hashes what it reads too (a first send)")
)

// fileMode tells whether -src/-dst are in use.
func fileMode() bool { return *srcFile != "" && *dstFile != "" }

// serveArgs are the flags the receiver process needs.
func serveArgs() []string {
	if !fileMode() {
		return nil
	}
	return []string{"-src", *srcFile, "-dst", *dstFile}
}

// sendFile writes the whole of -src to w; it returns the bytes sent.
func sendFile(w io.Writer) (int64, error) {
	f, err := os.Open(*srcFile)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := blake3.New()
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, err := f.ReadAt(buf, off)
		if n > 0 {
			if *hashSend {
				h.Write(buf[:n])
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return off, werr
			}
			off += int64(n)
		}
		if err == io.EOF {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}

// receiveFile reads r to its end into a new -dst, hashing it; it
// returns the bytes received.
func receiveFile(r io.Reader) (int64, error) {
	_ = os.Remove(*dstFile)
	f, err := os.OpenFile(*dstFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := blake3.New()
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, werr := f.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return total, err
		}
	}
	_ = h.Sum(nil)
	if err := datasync(f); err != nil {
		return total, fmt.Errorf("fdatasync: %w", err)
	}
	return total, nil
}
