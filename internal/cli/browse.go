package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
)

func init() {
	extraCommands = append(extraCommands,
		func(a *App) *cobra.Command { return a.browseCmd() },
		func(a *App) *cobra.Command { return a.logonCmd() },
		func(a *App) *cobra.Command { return a.logoffCmd() },
		func(a *App) *cobra.Command { return a.presenceCmd() },
	)
}

// browseKinds are the events that change what browse shows.
var browseKinds = []apitypes.EventKind{apitypes.EventPresenceChanged, apitypes.EventMemberJoined,
	apitypes.EventMemberRemoved, apitypes.EventShareChanged}

func (a *App) browseCmd() *cobra.Command {
	var wg string
	var watch bool
	cmd := &cobra.Command{
		Use:   "browse",
		Short: "List every member of the workgroup: presence, last seen, link, round-trip time, addresses",
		Long: `List every member of the workgroup: presence, last seen, link, round-trip
time, addresses, the shares each offers you and the TCP services it lets
you use (reach one with 'peerhood forward MEMBER:SERVICE'). With --watch the list is
drawn again whenever a member's presence changes, a member joins or is
removed, or a share changes (the node's event stream, GET /v1/events),
until Ctrl-C.`,
		Example: "  peerhood browse\n  peerhood browse --watch",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			draw := func() error {
				return Call(a, func(c *client.Client) ([]apitypes.BrowseEntry, error) { return c.Browse(cmd.Context(), wg) }, func(es []apitypes.BrowseEntry) error {
					a.printBrowse(es)
					return nil
				})
			}
			if watch {
				return a.watch(cmd.Context(), "", browseKinds, draw)
			}
			return draw()
		},
	}
	workgroupFlag(cmd.Flags(), &wg, "workgroup name or ID (default: the only one)")
	cmd.Flags().BoolVar(&watch, "watch", false, "draw the list again on every change, until Ctrl-C")
	return cmd
}

func (a *App) printBrowse(es []apitypes.BrowseEntry) {
	tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPRESENCE\tLAST SEEN\tLINK\tRTT\tSHARES\tSERVICES\tADDRESS")
	admins := false
	for _, e := range es {
		pres := e.Presence
		if e.PresenceText != "" {
			pres += " (" + e.PresenceText + ")"
		}
		if e.Presence != apitypes.Offline && e.Reach == "no route" {
			pres += " · no route"
		}
		seen := "never"
		if e.LastSeen != nil {
			if e.Presence != apitypes.Offline {
				seen = "now"
			} else {
				seen = time.Since(*e.LastSeen).Round(time.Second).String() + " ago"
			}
		}
		link, rtt := e.Link, "-"
		if link == "" {
			link = "-"
		}
		if e.RTT > 0 {
			rtt = e.RTT.Round(10 * time.Microsecond).String()
		}
		addr := "-"
		if len(e.Addrs) > 0 {
			addr = e.Addrs[0]
			if len(e.Addrs) > 1 {
				addr += fmt.Sprintf(" (+%d)", len(e.Addrs)-1)
			}
		}
		name := e.Name
		if e.HasRole("admin") {
			name += "*"
			admins = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, pres, seen, link, rtt, sharesText(e.Shares), servicesText(e.Services), addr)
	}
	tw.Flush()
	if admins {
		fmt.Fprintln(a.Out, "* admin: may invite, remove members and change groups")
	}
}

func (a *App) printPresence(st apitypes.PresenceStatus) error {
	line := "you appear " + st.Shown
	if st.Shown != apitypes.Offline && st.Text != "" {
		line += " (" + st.Text + ")"
	}
	if !st.LoggedOn {
		line += fmt.Sprintf("; logged off (on logon: %s)", st.State)
	}
	fmt.Fprintln(a.Out, line)
	return nil
}

func (a *App) logonCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logon",
		Short: "Appear to your workgroups again, with your chosen presence",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) (apitypes.PresenceStatus, error) { return c.Logon(cmd.Context()) }, a.printPresence)
		},
	}
}

func (a *App) logoffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logoff",
		Short: "Appear offline; the node keeps relaying for and receiving from members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) (apitypes.PresenceStatus, error) { return c.Logoff(cmd.Context()) }, a.printPresence)
		},
	}
}

func (a *App) presenceCmd() *cobra.Command {
	var text string
	cmd := &cobra.Command{
		Use:       "presence [online|away|busy]",
		Short:     "Show or set your presence state and text",
		Example:   "  peerhood presence\n  peerhood presence busy --text 'in a meeting'",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{apitypes.Online, apitypes.Away, apitypes.Busy},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return Call(a, func(c *client.Client) (apitypes.PresenceStatus, error) { return c.Presence(cmd.Context()) }, a.printPresence)
			}
			state := strings.ToLower(args[0])
			switch state {
			case apitypes.Online, apitypes.Away, apitypes.Busy:
			default:
				return fmt.Errorf("presence %q: use online, away or busy (and 'peerhood logoff' to appear offline)", args[0])
			}
			req := apitypes.PresenceRequest{State: state, Text: text}
			return Call(a, func(c *client.Client) (apitypes.PresenceStatus, error) { return c.SetPresence(cmd.Context(), req) }, a.printPresence)
		},
	}
	cmd.Flags().StringVar(&text, "text", "", "a short text shown with your presence")
	return cmd
}

// sharesText renders browse's shares as "docs(ro) music(rw)".
func sharesText(shares []apitypes.ShareInfo) string {
	var parts []string
	for _, sh := range shares {
		parts = append(parts, fmt.Sprintf("%s(%s)", sh.Name, sh.Right))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// servicesText renders browse's services as "ssh(use) wiki(use,http)":
// the right, and the kind when it is not plain tcp.
func servicesText(l []apitypes.ServiceInfo) string {
	var parts []string
	for _, si := range l {
		right := si.Right
		if si.Kind != "" && si.Kind != "tcp" {
			right += "," + si.Kind
		}
		parts = append(parts, fmt.Sprintf("%s(%s)", si.Name, right))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
