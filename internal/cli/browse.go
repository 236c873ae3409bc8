package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/discovery"
	"github.com/peerhood/peerhood/internal/presence"
)

func init() {
	extraCommands = append(extraCommands,
		func(a *App) *cobra.Command { return a.browseCmd() },
		func(a *App) *cobra.Command { return a.logonCmd() },
		func(a *App) *cobra.Command { return a.logoffCmd() },
		func(a *App) *cobra.Command { return a.presenceCmd() },
	)
}

func (a *App) browseCmd() *cobra.Command {
	var wg string
	cmd := &cobra.Command{
		Use:   "browse",
		Short: "List every member of the workgroup: presence, last seen, link, round-trip time, addresses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/v1/browse"
			if wg != "" {
				path += "?workgroup=" + url.QueryEscape(wg)
			}
			return Call(cmd.Context(), a, http.MethodGet, path, nil, func(es []discovery.Entry) error {
				a.printBrowse(es)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&wg, "workgroup", "", "workgroup name or ID (default: the only one)")
	return cmd
}

func (a *App) printBrowse(es []discovery.Entry) {
	tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPRESENCE\tLAST SEEN\tLINK\tRTT\tSHARES\tADDRESS")
	for _, e := range es {
		pres := e.Presence
		if e.PresenceText != "" {
			pres += " (" + e.PresenceText + ")"
		}
		seen := "never"
		if e.LastSeen != nil {
			if e.Presence != presence.Offline {
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
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, pres, seen, link, rtt, sharesText(e.Shares), addr)
	}
	tw.Flush()
}

func (a *App) printPresence(st presence.Status) error {
	line := "you appear " + st.Shown
	if st.Shown != presence.Offline && st.Text != "" {
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
			return Call(cmd.Context(), a, http.MethodPost, "/v1/logon", nil, a.printPresence)
		},
	}
}

func (a *App) logoffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logoff",
		Short: "Appear offline; the node keeps relaying for and receiving from members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(cmd.Context(), a, http.MethodPost, "/v1/logoff", nil, a.printPresence)
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
		ValidArgs: []string{presence.Online, presence.Away, presence.Busy},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return Call(cmd.Context(), a, http.MethodGet, "/v1/presence", nil, a.printPresence)
			}
			state := strings.ToLower(args[0])
			switch state {
			case presence.Online, presence.Away, presence.Busy:
			default:
				return fmt.Errorf("presence %q: use online, away or busy (and 'peerhood logoff' to appear offline)", args[0])
			}
			return Call(cmd.Context(), a, http.MethodPost, "/v1/presence", api.PresenceRequest{State: state, Text: text}, a.printPresence)
		},
	}
	cmd.Flags().StringVar(&text, "text", "", "a short text shown with your presence")
	return cmd
}

// sharesText renders browse's shares as "docs(ro) music(rw)".
func sharesText(shares []any) string {
	var parts []string
	for _, sh := range shares {
		m, ok := sh.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		right, _ := m["right"].(string)
		parts = append(parts, fmt.Sprintf("%s(%s)", name, right))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
