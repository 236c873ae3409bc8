//go:build unix

package dnssd

import "golang.org/x/sys/unix"

// reuse lets the socket share port 5353 with avahi or mDNSResponder.
func reuse(fd uintptr) error {
	if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}
