package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

// memberGroupCmd is `peerhood member group add|rm|set`.
func (a *App) memberGroupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Put members in groups (admins only); share rules group:G then apply to them",
	}
	var wg string
	mk := func(use, short string, minArgs int, req func(groups []string) apitypes.MemberGroupsRequest) *cobra.Command {
		c := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.MinimumNArgs(minArgs),
			RunE: func(cmd *cobra.Command, args []string) error {
				body := req(args[1:])
				body.Workgroup = wg
				return Call(a, func(c *client.Client) (apitypes.Member, error) { return c.MemberGroups(cmd.Context(), args[0], body) }, func(m apitypes.Member) error {
					fmt.Fprintf(a.Out, "%s is in groups: %s\n", m.Name, groupList(m.Groups))
					return nil
				})
			},
		}
		workgroupFlag(c.Flags(), &wg, "workgroup name or ID (default: the only one)")
		return c
	}
	cmd.AddCommand(
		mk("add NAME GROUP...", "Add a member to groups", 2, func(g []string) apitypes.MemberGroupsRequest { return apitypes.MemberGroupsRequest{Add: g} }),
		mk("rm NAME GROUP...", "Take a member out of groups", 2, func(g []string) apitypes.MemberGroupsRequest { return apitypes.MemberGroupsRequest{Remove: g} }),
		mk("set NAME [GROUP...]", "Set a member's groups (none: no group)", 1, func(g []string) apitypes.MemberGroupsRequest {
			return apitypes.MemberGroupsRequest{Replace: true, Set: g}
		}),
	)
	return cmd
}

func groupList(gs []string) string {
	if len(gs) == 0 {
		return "-"
	}
	return strings.Join(gs, ",")
}
