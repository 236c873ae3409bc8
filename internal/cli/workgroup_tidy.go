package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

// workgroupCreateCmd is `workgroup create NAME [--force]`.
func (a *App) workgroupCreateCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a workgroup with a new root key; this node becomes its first admin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := apitypes.CreateWorkgroupRequest{Name: args[0], Force: force}
			return Call(a, func(c *client.Client) (apitypes.Workgroup, error) { return c.CreateWorkgroupWith(cmd.Context(), req) }, func(w apitypes.Workgroup) error {
				fmt.Fprintf(a.Out, "created workgroup %s (%s)\n", w.Name, w.ID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "create it even if this node is in another workgroup of that name")
	return cmd
}

func (a *App) workgroupLeaveCmd() *cobra.Command {
	var wg string
	var yes, force bool
	cmd := &cobra.Command{
		Use:   "leave",
		Short: "Leave a workgroup: stop using it and delete its roster and invites on this node",
		Long: `Leave a workgroup: this node stops using it, forgets its roster, keys and
invites, and disconnects from members it shares no other workgroup with
(they see it offline). The others keep it on their roster until an admin
runs 'peerhood member remove NAME'. Shares and services offered to it stay
configured (remove them with 'peerhood share rm' and 'peerhood service rm').
It asks first; --yes does not.`,
		Example: "  peerhood workgroup leave -w office\n  peerhood workgroup leave -w office --yes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !yes {
				label := wg
				if label == "" {
					label = "the workgroup"
				}
				if err := a.confirm(fmt.Sprintf("leave %s and delete its roster on this node? [y/N] ", label)); err != nil {
					return err
				}
			}
			req := apitypes.LeaveWorkgroupRequest{Workgroup: wg, Force: force}
			return Call(a, func(c *client.Client) (apitypes.Workgroup, error) { return c.LeaveWorkgroup(cmd.Context(), req) }, func(w apitypes.Workgroup) error {
				fmt.Fprintf(a.Out, "left workgroup %s (%s)\n", w.Name, w.ID)
				return nil
			})
		},
	}
	workgroupFlag(cmd.Flags(), &wg, "")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask")
	cmd.Flags().BoolVar(&force, "force", false, "leave even as the last admin of a workgroup with other members")
	return cmd
}

func (a *App) workgroupRenameCmd() *cobra.Command {
	var wg string
	var force bool
	cmd := &cobra.Command{
		Use:   "rename NEWNAME",
		Short: "Change a workgroup's display name for every member (admins)",
		Long: `Change a workgroup's display name (admins only). Its ID, keys and members
stay. The rename is signed and travels like the roster's other changes:
members online see it at once, members away when they next connect, and
invites made from now on carry it. Of two renames, the later one wins.`,
		Example: "  peerhood workgroup rename -w office 'office 2nd floor'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := apitypes.RenameWorkgroupRequest{Workgroup: wg, Name: args[0], Force: force}
			return Call(a, func(c *client.Client) (apitypes.Workgroup, error) { return c.RenameWorkgroup(cmd.Context(), req) }, func(w apitypes.Workgroup) error {
				fmt.Fprintf(a.Out, "workgroup %s is now named %s (for every member)\n", w.ID, w.Name)
				return nil
			})
		},
	}
	workgroupFlag(cmd.Flags(), &wg, "")
	cmd.Flags().BoolVar(&force, "force", false, "allow a name another workgroup of this node has")
	return cmd
}

// confirm asks a yes/no question on standard input; anything but y or yes
// (or no terminal to ask on) refuses.
func (a *App) confirm(question string) error {
	if !isTerminal(a.In) {
		return errors.New("not confirmed: standard input is not a terminal; pass --yes")
	}
	fmt.Fprint(a.Err, question)
	line, err := bufio.NewReader(io.LimitReader(a.In, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errors.New("not confirmed: nothing changed")
}
