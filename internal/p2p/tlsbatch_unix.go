//go:build unix

package p2p

import "syscall"

// readFD reads once from the socket fd, retrying on EINTR; again
// reports that the socket had nothing to read (wait for it).
func readFD(fd uintptr, buf []byte) (n int, again bool, err error) {
	for {
		n, err = syscall.Read(int(fd), buf)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN {
		return 0, true, nil
	}
	return n, false, err
}

// readAheadOK tells whether bulk reads go straight to the socket.
const readAheadOK = true
