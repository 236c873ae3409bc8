//go:build !windows

package api

import (
	"net"
	"syscall"
)

func listenUnix(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
