package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands, (*App).shareCmd)
}

func (a *App) shareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "share",
		Short: "Share local folders with a workgroup, with per-share access lists",
		Long: `A share is a local folder offered to the members of one workgroup. Its
access list lives on this node only: WHO is a member name, group:G or *
(every member), with ro (read), rw (read and write) or none (excluded).
Without --allow, every member may read and nobody may write.`,
	}
	cmd.AddCommand(a.shareAddCmd(), a.shareLsCmd(), a.shareSetCmd(), a.shareRmCmd())
	return cmd
}

func (a *App) shareAddCmd() *cobra.Command {
	var wg string
	var allow []string
	var force bool
	cmd := &cobra.Command{
		Use:     "add NAME PATH",
		Short:   "Share the folder PATH as NAME",
		Example: "  peerhood share add docs ~/Documents --allow '*=ro' --allow alice=rw --allow group:ops=rw",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(args[1])
			if err != nil {
				return err
			}
			req := apitypes.ShareAddRequest{Name: args[0], Path: abs, Workgroup: wg, Allow: allow, Force: force}
			return Call(a, func(c *client.Client) (apitypes.ShareConfig, error) { return c.AddShare(cmd.Context(), req) }, func(c apitypes.ShareConfig) error {
				fmt.Fprintf(a.Out, "sharing %s as %q (%s)\n", c.Path, c.Name, rulesText(c.Rules))
				a.warn(c.Warnings)
				return nil
			})
		},
	}
	workgroupFlag(cmd.Flags(), &wg, "workgroup to share with (default: the only one)")
	cmd.Flags().StringArrayVar(&allow, "allow", nil, "access rule WHO[=ro|rw|none] (repeatable; default '*=ro')")
	cmd.Flags().BoolVar(&force, "force", false, "keep rules naming no member yet (for members yet to join)")
	return cmd
}

func (a *App) shareLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List this node's shares and their access lists",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.ShareConfig, error) { return c.Shares(cmd.Context()) }, func(cs []apitypes.ShareConfig) error {
				if len(cs) == 0 {
					fmt.Fprintln(a.Out, "no shares: add one with 'peerhood share add NAME PATH'")
					return nil
				}
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tPATH\tACCESS\tWORKGROUP")
				for _, c := range cs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Path, rulesText(c.Rules), c.Workgroup)
				}
				return tw.Flush()
			})
		},
	}
}

func (a *App) shareSetCmd() *cobra.Command {
	var allow []string
	var force bool
	cmd := &cobra.Command{
		Use:     "set NAME --allow WHO[=ro|rw|none]...",
		Short:   "Replace a share's access list",
		Example: "  peerhood share set docs --allow '*=ro' --allow bob=none",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := apitypes.ShareSetRequest{Allow: allow, Force: force}
			return Call(a, func(c *client.Client) (apitypes.ShareConfig, error) {
				return c.SetShareAccess(cmd.Context(), args[0], req)
			}, func(c apitypes.ShareConfig) error {
				fmt.Fprintf(a.Out, "%s: %s\n", c.Name, rulesText(c.Rules))
				a.warn(c.Warnings)
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&allow, "allow", nil, "access rule WHO[=ro|rw|none] (repeatable)")
	cmd.Flags().BoolVar(&force, "force", false, "keep rules naming no member yet (for members yet to join)")
	return cmd
}

func (a *App) shareRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Stop sharing a folder (its files stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Empty, error) { return c.RemoveShare(cmd.Context(), args[0]) }, func(apitypes.Empty) error {
				fmt.Fprintf(a.Out, "stopped sharing %s\n", args[0])
				return nil
			})
		},
	}
}

func rulesText(rs []apitypes.Rule) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Who + "=" + r.Right
	}
	return strings.Join(parts, ",")
}

// warn prints the node's warnings about what it just did, on stderr.
func (a *App) warn(ws []string) {
	for _, w := range ws {
		fmt.Fprintf(a.Err, "warning: %s\n", w)
	}
}
