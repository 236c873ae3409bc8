package events

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when a goroutine running this package's code
// outlives the tests (the check go.uber.org/goleak makes, without the
// dependency): a handler or a waiting Next that never returned.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := leaked(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// leaked waits (at most 5 s, for goroutines that are returning) until no
// goroutine but this one has a frame of package events.
func leaked() error {
	var last string
	for range 100 {
		last = eventGoroutines()
		if last == "" {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("leaked goroutines:\n%s", last)
}

func eventGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	gs := strings.Split(string(buf), "\n\n")
	var out []string
	for _, g := range gs[1:] { // the first is this goroutine
		if strings.Contains(g, "internal/events.") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}
