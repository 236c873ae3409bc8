package cli

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands, func(a *App) *cobra.Command { return a.openCmd() })
}

func (a *App) openCmd() *cobra.Command {
	var printURL bool
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Open the node's web UI in the default browser (logged in)",
		Long: `The node serves a web UI on 127.0.0.1 (port 42080 by default; the setting
ui.addr or PEERHOOD_UI_ADDR chooses another, "off" turns it off). open asks
the node for a one-time login link (it works once, within a minute, and
trades itself for a session cookie) and opens it in the default browser.
--print-url prints the link instead, for a browser of your choice on this
machine.`,
		Example: "  peerhood open\n  peerhood open --print-url",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) (apitypes.UILogin, error) { return c.UILogin(cmd.Context()) }, func(l apitypes.UILogin) error {
				if printURL {
					fmt.Fprintln(a.Out, l.LoginURL)
					return nil
				}
				if err := openBrowser(cmd.Context(), l.LoginURL); err != nil {
					return fmt.Errorf("open a browser: %w (run peerhood open --print-url and open the link yourself)", err)
				}
				fmt.Fprintf(a.Out, "opened the web UI at %s in the default browser\n", l.URL)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&printURL, "print-url", false, "print the one-time login link instead of opening a browser")
	return cmd
}

// openBrowser hands url to the desktop's opener and waits briefly for it
// to start (xdg-open returns once the browser has the link).
func openBrowser(ctx context.Context, url string) error {
	var c *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		c = exec.CommandContext(ctx, "open", url)
	case "windows":
		c = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", url)
	default:
		c = exec.CommandContext(ctx, "xdg-open", url)
	}
	if err := c.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		return nil // still running: the opener has it
	}
}
