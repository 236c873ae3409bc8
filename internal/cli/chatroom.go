package cli

import (
	"fmt"
	"strings"

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

func (a *App) roomWhoCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:     "who NAME",
		Short:   "List the members in a room now, with their presence",
		Example: "  peerhood room who general\n  peerhood room who general --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.RoomMember, error) {
				return c.RoomWho(cmd.Context(), wg, args[0])
			}, func(ms []apitypes.RoomMember) error {
				if len(ms) == 0 {
					fmt.Fprintf(a.Out, "nobody in #%s now\n", strings.TrimPrefix(args[0], "#"))
				}
				for _, m := range ms {
					fmt.Fprintln(a.Out, withPresence(m.Name, m.Presence))
				}
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

// attachmentLines describes the attachments of message id, one line
// each: where the file is on this machine, or the copy that holds it and
// how to save it, or how to ask for one.
func attachmentLines(id string, dm bool, as []apitypes.ChatAttachment) []string {
	out := make([]string, 0, len(as))
	short := id
	if len(short) > 10 {
		short = short[:10]
	}
	for _, at := range as {
		d := at.Digest
		if len(d) > 16 {
			d = d[:16]
		}
		var where string
		switch {
		case at.Path != "":
			where = "at " + at.Path
		case at.Copy != "" && at.CopyState == "new":
			where = fmt.Sprintf("copy %s from %s: peerhood save %s [DIR]", at.Copy, at.CopyFrom, short)
		case at.Copy != "":
			where = fmt.Sprintf("copy %s (%s with peerhood inbox accept)", at.Copy, at.CopyState)
		case dm:
			where = "its copy has not arrived yet (peerhood inbox)"
		default:
			where = "no copy here yet: peerhood save " + short + " takes it once it arrived, or asks a member for one"
		}
		out = append(out, fmt.Sprintf("    [file] %s (%s, sha256 %s…) %s", at.Name, humanSize(at.Size), d, where))
	}
	return out
}

func (a *App) saveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "save ID [DIR]",
		Short: "Save the files attached to a chat message (ID from history --ids) into DIR (default: here)",
		Long: `Writes the files from the copy this node received, checked against the
SHA-256 the message names. With no copy here (a room message from before you
joined), asks a member that keeps the files for one: run save again once it
arrived (peerhood inbox). The files of messages you sent, or saved before,
are shown where they are.`,
		Example: "  peerhood history general --ids\n  peerhood save 3fa2c1d4e5 ~/Downloads",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := "."
			if len(args) == 2 {
				dest = args[1]
			}
			abs, err := absPaths([]string{dest})
			if err != nil {
				return err
			}
			req := apitypes.ChatSaveRequest{Message: args[0], Dest: abs[0]}
			return Call(a, func(c *client.Client) (apitypes.ChatSaveResult, error) { return c.SaveAttachments(cmd.Context(), req) },
				func(r apitypes.ChatSaveResult) error {
					if r.State == "requested" {
						fmt.Fprintf(a.Out, "%s queues a copy of the files to you: run peerhood save %s again once it is in peerhood inbox\n", r.From, args[0])
						return nil
					}
					for _, f := range r.Files {
						fmt.Fprintln(a.Out, f)
					}
					return nil
				})
		},
	}
}
