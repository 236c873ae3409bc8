//go:build !unix

package p2p

import "errors"

// readFD is not used where reads cannot go straight to the socket
// (readAheadOK is false): every read goes through the net.Conn.
func readFD(uintptr, []byte) (int, bool, error) {
	return 0, false, errors.ErrUnsupported
}

// readAheadOK tells whether bulk reads go straight to the socket.
const readAheadOK = false
