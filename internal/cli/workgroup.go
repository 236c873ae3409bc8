package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands,
		func(a *App) *cobra.Command { return a.workgroupCmd() },
		func(a *App) *cobra.Command { return a.inviteCmd() },
		func(a *App) *cobra.Command { return a.joinCmd() },
		func(a *App) *cobra.Command { return a.membersCmd() },
		func(a *App) *cobra.Command { return a.memberCmd() },
	)
}

func (a *App) workgroupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workgroup",
		Short: "Create, list, leave and rename workgroups",
	}
	cmd.AddCommand(a.workgroupCreateCmd(), a.workgroupLeaveCmd(), a.workgroupRenameCmd(), &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the workgroups this node is in",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.WorkgroupSummary, error) { return c.Workgroups(cmd.Context()) }, func(ws []apitypes.WorkgroupSummary) error {
				if len(ws) == 0 {
					fmt.Fprintln(a.Out, "this node is in no workgroup: create one with 'peerhood workgroup create NAME' or join with 'peerhood join TOKEN'")
					return nil
				}
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tID\tMEMBERS\tADMIN")
				for _, w := range ws {
					if w.Removed == "" {
						fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", w.Name, w.ID, w.Members, yesNo(w.Admin))
					}
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				printRemovals(a.Out, ws)
				return nil
			})
		},
	})
	return cmd
}

// printRemovals says which workgroups this node was removed from.
func printRemovals(w io.Writer, ws []apitypes.WorkgroupSummary) {
	for _, x := range ws {
		if x.Removed != "" {
			fmt.Fprintf(w, "this node was %s (%s): it no longer uses it\n", x.Removed, x.ID)
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (a *App) inviteCmd() *cobra.Command {
	var req apitypes.InviteRequest
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Print an invite token (and a QR code on a terminal) for a node to join a workgroup",
		Long: `Print a one-time invite token. Give it to the joining node's user, who runs
'peerhood join -' and pastes it (or 'peerhood join --token-file FILE'), so
the secret never shows in the process list. The token carries the workgroup's key, a one-time
secret, its expiry and this node's addresses; this node keeps only a hash
of the secret. Only admins can invite.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Uses < 1 {
				return fmt.Errorf("--uses %d: must be 1 or more", req.Uses)
			}
			if expires <= 0 {
				return fmt.Errorf("--expires %s: must be positive", expires)
			}
			req.Expires = apitypes.FormatDuration(expires)
			return Call(a, func(c *client.Client) (apitypes.InviteResult, error) { return c.Invite(cmd.Context(), req) }, func(r apitypes.InviteResult) error {
				fmt.Fprintln(a.Out, r.Token)
				if isTerminal(a.Out) {
					if q, err := qrcode.New(strings.ToUpper(r.Token), qrcode.Low); err == nil {
						fmt.Fprint(a.Out, q.ToSmallString(false))
					}
					fmt.Fprintf(a.Out, "workgroup %s, %d use(s), expires %s\n", r.Workgroup, r.Uses, r.Expires.Local().Format(time.RFC1123))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	workgroupFlag(f, &req.Workgroup, "workgroup name or ID (default: the only one)")
	durationFlag(f, &expires, "expires", apitypes.DefaultInviteTTL, "how long the invite stays valid")
	f.IntVar(&req.Uses, "uses", 1, "how many nodes may join with it")
	f.BoolVar(&req.Admin, "admin", false, "the joiner becomes an admin")
	f.BoolVar(&req.Mailbox, "mailbox", false, "the joiner gets the mailbox role (keeps mail for offline members)")
	return cmd
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (a *App) joinCmd() *cobra.Command {
	var name, tokenFile string
	var force bool
	cmd := &cobra.Command{
		Use:   "join [TOKEN | -]",
		Short: "Join a workgroup with an invite token",
		Long: `Join a workgroup with an invite token.

A token on the command line is visible to every local user (ps, /proc) while
the command runs. Prefer '-' to read it from standard input, or
--token-file FILE; with neither, on a terminal, join asks for it.`,
		Example: `  peerhood join - --name laptop < invite.txt
  peerhood join --token-file invite.txt
  peerhood join          # asks for the token`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := a.joinToken(args, tokenFile)
			if err != nil {
				return err
			}
			req := apitypes.JoinRequest{Token: token, Name: name, Force: force}
			return Call(a, func(c *client.Client) (apitypes.JoinResult, error) { return c.Join(cmd.Context(), req) }, func(r apitypes.JoinResult) error {
				fmt.Fprintf(a.Out, "joined workgroup %s (%s) as %s\n", r.Workgroup.Name, r.Workgroup.ID, r.Member.Name)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "this node's name in the workgroup (default: the node's name)")
	cmd.Flags().BoolVar(&force, "force", false, "join even if this node is in another workgroup of the same name")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "read the invite token from this file (keeps it out of the process list)")
	return cmd
}

// joinToken finds the invite token: the argument, '-' for standard input,
// --token-file, or a prompt on a terminal. Only the first line counts.
func (a *App) joinToken(args []string, tokenFile string) (string, error) {
	var src io.Reader
	switch {
	case len(args) == 1 && tokenFile != "":
		return "", fmt.Errorf("give the token once: as an argument, '-' or --token-file")
	case tokenFile != "":
		f, err := os.Open(tokenFile)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		defer f.Close()
		src = f
	case len(args) == 1 && args[0] != "-":
		return strings.TrimSpace(args[0]), nil
	case len(args) == 1 || !isTerminal(a.In):
		src = a.In
	default:
		fmt.Fprint(a.Err, "invite token: ")
		src = a.In
	}
	line, err := bufio.NewReader(io.LimitReader(src, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read token: %w", err)
	}
	token := strings.TrimSpace(line)
	if token == "" {
		return "", fmt.Errorf("no invite token given (pass it as an argument, '-' with the token on standard input, or --token-file)")
	}
	return token, nil
}

func (a *App) membersCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "members",
		Short: "List the members of a workgroup",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.Member, error) { return c.Members(cmd.Context(), wg) }, func(ms []apitypes.Member) error {
				tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tROLES\tGROUPS\tPEER")
				for _, m := range ms {
					name := m.Name
					if m.NameConflict {
						name += " (name conflict: use the peer ID)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, groupList(m.Roles), groupList(m.Groups), m.PeerID)
				}
				return tw.Flush()
			})
		},
	}
	workgroupFlag(cmd.Flags(), &wg, "workgroup name or ID (default: the only one)")
	return cmd
}

func (a *App) memberCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "Manage members of a workgroup",
	}
	var wg string
	rm := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a member (admins only): it is disconnected and refused by every member",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Member, error) { return c.RemoveMember(cmd.Context(), wg, args[0]) }, func(m apitypes.Member) error {
				fmt.Fprintf(a.Out, "removed %s (%s) from workgroup %s\n", m.Name, m.PeerID, m.WorkgroupName)
				return nil
			})
		},
	}
	workgroupFlag(rm.Flags(), &wg, "workgroup name or ID (default: the only one)")
	cmd.AddCommand(rm, a.memberGroupCmd())
	return cmd
}
