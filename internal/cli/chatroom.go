package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

// retentionText is a room's retention as room ls shows it.
func retentionText(r string) string {
	if r == "" {
		return "everything"
	}
	return r
}

func (a *App) roomRetentionCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "retention NAME 30d|keep",
		Short: "Set how long this node keeps a room's messages (keep: everything)",
		Long: `Messages of the room older than the retention are deleted from this node
(at once, then hourly), except each author's last one. Other members keep
what they choose. At least 1h; keep (the default) keeps everything.`,
		Example: "  peerhood room retention general 30d\n  peerhood room retention general keep",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Room, error) {
				return c.SetRoomRetention(cmd.Context(), wg, args[0], args[1])
			}, func(r apitypes.Room) error {
				fmt.Fprintf(a.Out, "#%s: keeps %s\n", r.Name, retentionText(r.Retention))
				return nil
			})
		},
	}
	chatWG(cmd, &wg)
	return cmd
}
