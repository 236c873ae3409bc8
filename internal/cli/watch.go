package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// watchSettle is how long a redraw waits for more events after one, so a
// burst of events (a member coming back: presence, addresses, shares)
// draws once.
const watchSettle = 150 * time.Millisecond

// watch draws, then draws again after each burst of events of the given
// kinds (and after a gap: events were lost, the state is read again),
// until ctx ends (nil) or the node ends the stream (an error). It
// subscribes before the first draw, so no change is missed between them.
// On a terminal each draw replaces the screen; elsewhere draws are
// separated by a blank line.
func (a *App) watch(ctx context.Context, wg string, kinds []apitypes.EventKind, draw func() error) error {
	c, err := a.Client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Events(ctx, wg, kinds...)
	if err != nil {
		return err
	}
	defer stream.Close()
	changed := make(chan struct{}, 1)
	ended := make(chan error, 1)
	go func() {
		for {
			if _, err := stream.Next(); err != nil {
				ended <- err
				return
			}
			select {
			case changed <- struct{}{}:
			default: // a redraw is already due
			}
		}
	}()
	tty := !a.JSON() && isTerminal(a.Out)
	for first := true; ; first = false {
		switch {
		case tty:
			fmt.Fprint(a.Out, "\033[H\033[2J")
		case !first:
			fmt.Fprintln(a.Out)
		}
		if err := draw(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-ended:
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				return errors.New("the node ended the event stream (was it stopped?)")
			}
			return fmt.Errorf("event stream: %w", err)
		case <-changed:
		}
		settle := time.NewTimer(watchSettle)
		select {
		case <-ctx.Done():
			settle.Stop()
			return nil
		case <-settle.C:
		}
	}
}
