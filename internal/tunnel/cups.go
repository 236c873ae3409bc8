package tunnel

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// queueTimeout bounds one lpadmin run: with -m everywhere CUPS asks the
// printer for its attributes, through the forward.
const queueTimeout = 90 * time.Second

// errNoCUPS: lpadmin is not installed.
var errNoCUPS = errors.New("lpadmin not found (CUPS is not installed)")

// queueName is the CUPS queue of member's printer (names are DNS
// labels, so the queue name needs no escaping).
func queueName(member, service string) string { return member + "-" + service }

// addQueue makes a driverless CUPS queue for uri (lpadmin -m
// everywhere); the CUPS server is the one lpadmin finds (CUPS_SERVER,
// client.conf, or the local scheduler).
func addQueue(ctx context.Context, queue, uri, info string) error {
	return lpadmin(ctx, "-p", queue, "-E", "-v", uri, "-m", "everywhere", "-D", info, "-L", "peerhood")
}

// removeQueue deletes a CUPS queue.
func removeQueue(ctx context.Context, queue string) error { return lpadmin(ctx, "-x", queue) }

func lpadmin(ctx context.Context, args ...string) error {
	path, err := exec.LookPath("lpadmin")
	if err != nil {
		return errNoCUPS
	}
	ctx, cancel := context.WithTimeout(ctx, queueTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return fmt.Errorf("lpadmin %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return nil
}
