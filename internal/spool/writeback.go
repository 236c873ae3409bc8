package spool

import (
	"io"
	"os"
)

// Write-behind: a large file the spool fsyncs when complete (the sealed
// spool file, a staged or placed file) has its disk writes started every
// writeBehindStep bytes while it is written, so they overlap with the
// sealing or the transfer instead of all waiting for the final fsync
// (100 MiB took ~0.15 s more to write with fsync than without on this
// machine's disk). The fsync stays where it was: durability is unchanged.
const writeBehindStep = 8 << 20

// writeBehindOn can be turned off to measure without it (benchmarks).
var writeBehindOn = true

// behind tracks how far a file's writes have been handed to writeback.
type behind struct {
	off, started int64
}

// wrote records n more bytes written to f and starts writeback of the
// last step once a whole one is written.
func (b *behind) wrote(f *os.File, n int) {
	b.off += int64(n)
	if writeBehindOn && b.off-b.started >= writeBehindStep {
		startWriteback(f, b.started, b.off-b.started)
		b.started = b.off
	}
}

// behindWriter writes to w (which writes f) with write-behind.
type behindWriter struct {
	w io.Writer
	f *os.File
	b behind
}

func (w *behindWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.b.wrote(w.f, n)
	return n, err
}
