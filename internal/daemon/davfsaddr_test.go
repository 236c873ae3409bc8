package daemon

import (
	"context"
	"net"
	"strings"
	"testing"
)

// A WebDAV address set by the user and taken by another program stops
// the node with a message that names the variable to change.
func TestWebDAVAddressInUseNamesTheVariable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv(davfsAddrEnv, l.Addr().String())
	_, err = Start(context.Background(), opts(testHome(t), "alpha"))
	if err == nil || !strings.Contains(err.Error(), "is in use") || !strings.Contains(err.Error(), "set PEERHOOD_WEBDAV_ADDR to another address") {
		t.Fatalf("start with the WebDAV address taken: %v", err)
	}
}
