package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

// printSent is `mail ls --sent`: one line per recipient of each sent mail.
func (a *App) printSent(cmd *cobra.Command) error {
	return Call(a, func(c *client.Client) ([]apitypes.Job, error) { return c.SentMail(cmd.Context()) }, func(jobs []apitypes.Job) error {
		if len(jobs) == 0 {
			fmt.Fprintln(a.Out, "no sent mail")
			return nil
		}
		tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTO\tSENT\tSTATE\tSUBJECT")
		for _, j := range jobs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.ID[:12], j.To, j.Created.Local().Format("2006-01-02 15:04"), j.State, j.Summary)
		}
		return tw.Flush()
	})
}

func (a *App) mailReplyCmd() *cobra.Command {
	var attach []string
	var noQuote bool
	cmd := &cobra.Command{
		Use:   "reply ID",
		Short: "Reply to a mail's sender (body from stdin, or $EDITOR on a terminal; the original is quoted below)",
		Example: `  echo 'yes, 10 is fine' | peerhood mail reply 3fa2
  peerhood mail reply 3fa2 --attach minutes.pdf`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, paths, err := readMailInput(attach)
			if err != nil {
				return err
			}
			req := apitypes.MailReplyRequest{Body: body, Attach: paths, NoQuote: noQuote}
			return Call(a, func(c *client.Client) ([]apitypes.Job, error) { return c.ReplyMail(cmd.Context(), args[0], req) }, a.printJobs)
		},
	}
	cmd.Flags().StringArrayVarP(&attach, "attach", "a", nil, "attach a file (repeatable)")
	cmd.Flags().BoolVar(&noQuote, "no-quote", false, "do not quote the original below the reply")
	return cmd
}

func (a *App) mailForwardCmd() *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:     "forward ID MEMBER...",
		Short:   "Forward a mail, with its attachments, to other members of its workgroup",
		Example: "  peerhood mail forward 3fa2 carol --note 'FYI'",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := apitypes.MailForwardRequest{To: args[1:], Note: note}
			return Call(a, func(c *client.Client) ([]apitypes.Job, error) { return c.ForwardMail(cmd.Context(), args[0], req) }, a.printJobs)
		},
	}
	cmd.Flags().StringVarP(&note, "note", "m", "", "a line written above the forwarded mail")
	return cmd
}
