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
	extraCommands = append(extraCommands, (*App).serviceCmd)
}

func (a *App) serviceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Offer TCP services (ssh, a web app, a database, a printer) to a workgroup",
		Long: `A service is a TCP address this node connects to (TARGET, host:port) on
behalf of the members allowed to use it. Members reach it with
'peerhood forward NODE:SERVICE'. The access list lives on this node:
WHO is a member name, group:G or * (every member), with use or none.
Without --allow nobody may use the service. A target off this machine's
loopback needs --allow-remote-target. Only TCP is carried (no UDP).`,
	}
	cmd.AddCommand(a.serviceAddCmd(), a.serviceLsCmd(), a.serviceSetCmd(), a.serviceRmCmd())
	return cmd
}

func (a *App) serviceAddCmd() *cobra.Command {
	var req apitypes.ServiceAddRequest
	cmd := &cobra.Command{
		Use:     "add NAME TARGET",
		Short:   "Offer the TCP address TARGET (host:port) as NAME",
		Example: "  peerhood service add ssh 127.0.0.1:22 --allow group:ops\n  peerhood service add wiki 127.0.0.1:8080 --kind http --allow '*=use' --allow bob=none",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name, req.Target = args[0], args[1]
			return Call(a, func(c *client.Client) (apitypes.ServiceConfig, error) { return c.AddService(cmd.Context(), req) }, func(c apitypes.ServiceConfig) error {
				a.warn(c.Warnings)
				fmt.Fprintf(a.Out, "offering %s as %q (%s, %s)\n", targetText(c), c.Name, c.Kind, accessText(c.Rules))
				return nil
			})
		},
	}
	workgroupFlag(cmd.Flags(), &req.Workgroup, "workgroup to offer it to (default: the only one)")
	cmd.Flags().StringArrayVar(&req.Allow, "allow", nil, "access rule WHO[=use|none] (repeatable; default: nobody)")
	cmd.Flags().StringVar(&req.Kind, "kind", "tcp", "tcp, http (requests get Peerhood-Member and Peerhood-Workgroup headers) or printer (IPP; better: peerhood printer share)")
	cmd.Flags().BoolVar(&req.AllowRemoteTarget, "allow-remote-target", false, "allow a TARGET that is not on this machine's loopback")
	cmd.Flags().BoolVar(&req.Force, "force", false, "keep --allow rules naming no member (yet), with a warning")
	return cmd
}

func (a *App) serviceLsCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "ls [MEMBER]",
		Short: "List this node's services (access lists, counters), or those MEMBER lets you use",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return a.memberServices(cmd, wg, strings.TrimSuffix(args[0], ":"))
			}
			return Call(a, func(c *client.Client) ([]apitypes.ServiceConfig, error) { return c.Services(cmd.Context()) }, func(cs []apitypes.ServiceConfig) error {
				if len(cs) == 0 {
					fmt.Fprintln(a.Out, "no services: add one with 'peerhood service add NAME HOST:PORT --allow WHO'")
					return nil
				}
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tKIND\tTARGET\tACCESS\tOPEN\tTOTAL\tREFUSED\tBYTES IN/OUT")
				for _, c := range cs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d/%d\n", c.Name, c.Kind, targetText(c), accessText(c.Rules),
						c.Stats.Active, c.Stats.Total, c.Stats.Refused, c.Stats.BytesIn, c.Stats.BytesOut)
				}
				return tw.Flush()
			})
		},
	}
	workgroupFlag(cmd.Flags(), &wg, "MEMBER's workgroup (default: the only one)")
	return cmd
}

func (a *App) memberServices(cmd *cobra.Command, wg, member string) error {
	return Call(a, func(c *client.Client) ([]apitypes.ServiceInfo, error) { return c.ServicesOf(cmd.Context(), wg, member) }, func(l []apitypes.ServiceInfo) error {
		if len(l) == 0 {
			fmt.Fprintf(a.Out, "%s offers you no services\n", member)
			return nil
		}
		for _, si := range l {
			fmt.Fprintf(a.Out, "%s:%s\t%s\n", member, si.Name, si.Kind)
		}
		return nil
	})
}

func (a *App) serviceSetCmd() *cobra.Command {
	var allow []string
	var force bool
	cmd := &cobra.Command{
		Use:     "set NAME --allow WHO[=use|none]...",
		Short:   "Replace a service's access list (open tunnels it no longer allows are closed)",
		Example: "  peerhood service set ssh --allow group:ops --allow eve=none",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := apitypes.ServiceSetRequest{Allow: allow, Force: force}
			return Call(a, func(c *client.Client) (apitypes.ServiceConfig, error) {
				return c.SetServiceAccess(cmd.Context(), args[0], req)
			}, func(c apitypes.ServiceConfig) error {
				a.warn(c.Warnings)
				fmt.Fprintf(a.Out, "%s: %s\n", c.Name, accessText(c.Rules))
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&allow, "allow", nil, "access rule WHO[=use|none] (repeatable)")
	cmd.Flags().BoolVar(&force, "force", false, "keep rules naming no member (yet), with a warning")
	return cmd
}

func (a *App) serviceRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Stop offering a service",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Empty, error) { return c.RemoveService(cmd.Context(), args[0]) }, func(apitypes.Empty) error {
				fmt.Fprintf(a.Out, "stopped offering %s\n", args[0])
				return nil
			})
		},
	}
}

func targetText(c apitypes.ServiceConfig) string {
	if c.RemoteTarget {
		return c.Target + " (remote)"
	}
	return c.Target
}

func accessText(rs []apitypes.Rule) string {
	if len(rs) == 0 {
		return "nobody"
	}
	return rulesText(rs)
}
