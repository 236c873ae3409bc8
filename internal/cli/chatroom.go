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

// attachFlag adds --attach FILE (repeatable) to a say or msg command.
func attachFlag(cmd *cobra.Command, dst *[]string, to string) {
	cmd.Flags().StringArrayVarP(dst, "attach", "a", nil, "attach a file, sent as a queued copy to "+to+" (repeatable)")
}

// textOrAttach is the message's text: the arguments after the first,
// standard input when there are none, or nothing for a message that
// only carries attachments.
func (a *App) textOrAttach(args, attach []string) (string, error) {
	if len(args) == 1 && len(attach) > 0 {
		return "", nil
	}
	return a.textArg(args)
}

// attachmentLines describes a message's attachments, one line each.
func attachmentLines(as []apitypes.ChatAttachment) []string {
	out := make([]string, 0, len(as))
	for _, at := range as {
		d := at.Digest
		if len(d) > 16 {
			d = d[:16]
		}
		out = append(out, fmt.Sprintf("    [file] %s (%s, sha256 %s…) queued copy %s: peerhood inbox", at.Name, humanSize(at.Size), d, at.Ref))
	}
	return out
}
