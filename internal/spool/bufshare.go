package spool

import "sync/atomic"

// Large ciphertexts move through 256 KiB buffers handed from one
// goroutine to others without copying: the receiver reads a buffer from
// the stream, writes it to the partial file and hands the same buffer to
// the hashing goroutine and to the stager (decrypting into spool/plain);
// the sealer fills one with age's output, writes it to the spool file and
// hands it to the hasher. Whoever holds a buffer only reads it; the last
// one to release it returns it to its list.

const (
	pipeBufs = 32        // buffers in flight per list (8 MiB)
	pipeBuf  = 256 << 10 // bytes per buffer
)

// refBuf is a buffer shared by refs holders.
type refBuf struct {
	b    []byte
	refs atomic.Int32
	home bufList
}

// release drops one reference; the last returns the buffer to its list.
func (r *refBuf) release() {
	if r.refs.Add(-1) == 0 {
		r.home.put(r)
	}
}

// bufList hands out up to pipeBufs buffers of pipeBuf bytes, made on
// first need and reused (no garbage per write, unlike a sync.Pool emptied
// by every collection); get waits when all are in flight. Only one
// goroutine calls get; any may release.
type bufList struct {
	free chan *refBuf
	made *int
}

func newBufList() bufList { return bufList{free: make(chan *refBuf, pipeBufs), made: new(int)} }

// get returns an empty buffer holding one reference.
func (l bufList) get() *refBuf {
	var r *refBuf
	select {
	case r = <-l.free:
	default:
		if *l.made < pipeBufs {
			*l.made++
			r = &refBuf{b: make([]byte, 0, pipeBuf), home: l}
		} else {
			r = <-l.free
		}
	}
	r.b = r.b[:0]
	r.refs.Store(1)
	return r
}

func (l bufList) put(r *refBuf) { l.free <- r }

// send copies p into buffers of l and sends them on ch; it returns len(p).
func (l bufList) send(ch chan<- *refBuf, p []byte) int {
	total := len(p)
	for len(p) > 0 {
		r := l.get()
		n := min(len(p), cap(r.b))
		r.b = append(r.b, p[:n]...)
		ch <- r
		p = p[n:]
	}
	return total
}
