package ircgw

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestZZTranscript(t *testing.T) {
	if os.Getenv("TRANSCRIPT") == "" {
		t.Skip()
	}
	tn := newTestNet(t)
	sa := startGateway(t, tn.alice, nil)
	script := strings.Split(os.Getenv("TRANSCRIPT"), "|")
	c := dial(t, sa)
	for _, l := range script {
		t.Logf(">> %s", l)
		c.send(l)
		for {
			_ = c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			s, err := c.r.ReadString('\n')
			if err != nil {
				break
			}
			t.Logf("<< %s", strings.TrimRight(s, "\r\n"))
		}
	}
}
