package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands, (*App).forwardCmd)
}

func (a *App) forwardCmd() *cobra.Command {
	var req apitypes.ForwardRequest
	cmd := &cobra.Command{
		Use:   "forward MEMBER:SERVICE [LOCAL_ADDR]",
		Short: "Reach a member's TCP service on a 127.0.0.1 port of this machine",
		Long: `The node listens on 127.0.0.1 (LOCAL_ADDR, [127.0.0.1:]PORT; a free port
by default, printed) and carries every TCP connection to MEMBER's
SERVICE. It checks first that the member lets you use the service and
that its target answers. The forward lasts until 'forward rm' or the
node stops; --persist keeps it across restarts.`,
		Example: "  peerhood forward alpha:ssh 2222 && ssh -p 2222 127.0.0.1\n  peerhood forward alpha:wiki --persist",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			member, service, ok := strings.Cut(args[0], ":")
			if !ok || member == "" || service == "" {
				return fmt.Errorf("%q: want MEMBER:SERVICE", args[0])
			}
			req.Member, req.Service = member, service
			if len(args) == 2 {
				req.Local = args[1]
			}
			return Call(a, func(c *client.Client) (apitypes.Forward, error) { return c.AddForward(cmd.Context(), req) }, func(f apitypes.Forward) error {
				fmt.Fprintf(a.Out, "%s -> %s:%s\n", f.Local, f.Member, f.Service)
				if f.DNSSD {
					fmt.Fprintln(a.Out, "advertised on this machine by DNS-SD (_http._tcp)")
				}
				return nil
			})
		},
	}
	workgroupFlag(cmd.Flags(), &req.Workgroup, "the member's workgroup (default: the only one)")
	cmd.Flags().BoolVar(&req.Persist, "persist", false, "keep the forward across restarts of the node")
	cmd.AddCommand(a.forwardLsCmd(), a.forwardRmCmd())
	return cmd
}

func (a *App) forwardLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List this node's forwards",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.Forward, error) { return c.Forwards(cmd.Context()) }, func(fs []apitypes.Forward) error {
				if len(fs) == 0 {
					fmt.Fprintln(a.Out, "no forwards: add one with 'peerhood forward MEMBER:SERVICE'")
					return nil
				}
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "LOCAL\tTO\tPERSIST\tOPEN\tTOTAL\tFAILED\tBYTES OUT/IN\tLAST ERROR")
				for _, f := range fs {
					local := f.Local
					if !f.Listening {
						local += " (not listening)"
					}
					fmt.Fprintf(tw, "%s\t%s:%s\t%v\t%d\t%d\t%d\t%d/%d\t%s\n", local, f.Member, f.Service, f.Persist,
						f.Stats.Active, f.Stats.Total, f.Stats.Refused, f.Stats.BytesIn, f.Stats.BytesOut, f.LastError)
				}
				return tw.Flush()
			})
		},
	}
}

func (a *App) forwardRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "rm LOCAL_ADDR|MEMBER:SERVICE",
		Short:   "Stop a forward (its open connections close)",
		Example: "  peerhood forward rm 127.0.0.1:2222\n  peerhood forward rm alpha:ssh",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.Forward, error) { return c.RemoveForward(cmd.Context(), args[0]) }, func(fs []apitypes.Forward) error {
				for _, f := range fs {
					fmt.Fprintf(a.Out, "stopped %s -> %s:%s\n", f.Local, f.Member, f.Service)
				}
				return nil
			})
		},
	}
}
