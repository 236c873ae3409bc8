//go:build windows

package api

import "net"

// On Windows the socket inherits the state folder's ACL, which is the
// user's own profile folder.
func listenUnix(path string) (net.Listener, error) { return net.Listen("unix", path) }
