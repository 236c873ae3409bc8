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
	extraCommands = append(extraCommands, (*App).printerCmd)
}

func (a *App) printerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "printer",
		Short: "Share IPP printers with the workgroup, and add members' printers to this machine",
		Long: `A shared printer is a service of kind printer: its IPP address (a CUPS
queue or an IPP Everywhere printer) carried as TCP to the members allowed.
'printer add MEMBER:NAME' keeps a forward to it on 127.0.0.1, advertises
it on this machine by DNS-SD (_ipp._tcp, on the loopback only, where the
loopback carries multicast) and, where CUPS is installed, adds a
driverless CUPS queue MEMBER-NAME (lpadmin -m everywhere), so it shows in
print dialogs.`,
	}
	cmd.AddCommand(a.printerShareCmd(), a.printerAddCmd(), a.printerLsCmd(), a.printerRmCmd())
	return cmd
}

func (a *App) printerShareCmd() *cobra.Command {
	var req apitypes.PrinterShareRequest
	cmd := &cobra.Command{
		Use:   "share NAME",
		Short: "Share a local IPP printer as NAME (default: the CUPS queue NAME)",
		Example: "  peerhood printer share laser --allow '*'\n" +
			"  peerhood printer share lab --ipp ipp://127.0.0.1:8631/ipp/print --allow group:lab",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name = args[0]
			return Call(a, func(c *client.Client) (apitypes.ServiceConfig, error) { return c.SharePrinter(cmd.Context(), req) }, func(c apitypes.ServiceConfig) error {
				a.warn(c.Warnings)
				fmt.Fprintf(a.Out, "sharing printer ipp://%s%s as %q (%s)\n", c.Target, c.Path, c.Name, accessText(c.Rules))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&req.IPP, "ipp", "", "the printer's URL, ipp://HOST[:PORT]/PATH (default ipp://localhost:631/printers/NAME)")
	cmd.Flags().StringVarP(&req.Workgroup, "workgroup", "w", "", "workgroup to share it with (default: the only one)")
	cmd.Flags().StringArrayVar(&req.Allow, "allow", nil, "access rule WHO[=use|none] (repeatable; default: nobody)")
	cmd.Flags().BoolVar(&req.AllowRemoteTarget, "allow-remote-target", false, "allow a printer that is not on this machine's loopback")
	cmd.Flags().BoolVar(&req.Force, "force", false, "keep --allow rules naming no member (yet), with a warning")
	return cmd
}

func (a *App) printerAddCmd() *cobra.Command {
	var req apitypes.PrinterAddRequest
	cmd := &cobra.Command{
		Use:     "add MEMBER:NAME [LOCAL_ADDR]",
		Short:   "Make a member's printer usable here (kept across restarts)",
		Example: "  peerhood printer add alpha:laser\n  lp -d alpha-laser file.pdf",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			member, name, ok := strings.Cut(args[0], ":")
			if !ok || member == "" || name == "" {
				return fmt.Errorf("%q: want MEMBER:NAME", args[0])
			}
			req.Member, req.Name = member, name
			if len(args) == 2 {
				req.Local = args[1]
			}
			return Call(a, func(c *client.Client) (apitypes.Printer, error) { return c.AddPrinter(cmd.Context(), req) }, func(p apitypes.Printer) error {
				fmt.Fprintf(a.Out, "%s:%s is at %s\n", p.Member, p.Service, p.URI)
				if p.Queue != "" {
					fmt.Fprintf(a.Out, "CUPS queue: %s\n", p.Queue)
				}
				if p.DNSSD {
					fmt.Fprintln(a.Out, "advertised on this machine by DNS-SD (_ipp._tcp)")
				}
				for _, n := range p.Notes {
					fmt.Fprintln(a.Out, "note:", n)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&req.Workgroup, "workgroup", "w", "", "the member's workgroup (default: the only one)")
	cmd.Flags().BoolVar(&req.NoQueue, "no-queue", false, "do not add a CUPS queue")
	return cmd
}

func (a *App) printerLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the printers this node shares and those it added",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) (apitypes.PrinterList, error) { return c.Printers(cmd.Context()) }, a.printPrinters)
		},
	}
}

func (a *App) printPrinters(l apitypes.PrinterList) error {
	if len(l.Shared)+len(l.Added) == 0 {
		fmt.Fprintln(a.Out, "no printers: 'peerhood printer share NAME' or 'peerhood printer add MEMBER:NAME'")
		return nil
	}
	tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
	if len(l.Shared) > 0 {
		fmt.Fprintln(tw, "SHARED\tPRINTER\tACCESS\tJOBS (CONNECTIONS)")
		for _, c := range l.Shared {
			fmt.Fprintf(tw, "%s\tipp://%s%s\t%s\t%d\n", c.Name, c.Target, c.Path, accessText(c.Rules), c.Stats.Total)
		}
	}
	if len(l.Added) > 0 {
		if len(l.Shared) > 0 {
			fmt.Fprintln(tw, "\t\t\t")
		}
		fmt.Fprintln(tw, "ADDED\tURI\tCUPS QUEUE\tDNS-SD\tNOTES")
		for _, p := range l.Added {
			uri, queue, dnssd := p.URI, p.Queue, "no"
			if !p.Listening {
				uri += " (not listening)"
			}
			if queue == "" {
				queue = "-"
			}
			if p.DNSSD {
				dnssd = "yes"
			}
			fmt.Fprintf(tw, "%s:%s\t%s\t%s\t%s\t%s\n", p.Member, p.Service, uri, queue, dnssd, strings.Join(p.Notes, "; "))
		}
	}
	return tw.Flush()
}

func (a *App) printerRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "rm MEMBER:NAME|NAME",
		Short:   "Remove an added printer (its queue and forward), or stop sharing one of yours",
		Example: "  peerhood printer rm alpha:laser\n  peerhood printer rm laser",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.Empty, error) { return c.RemovePrinter(cmd.Context(), args[0]) }, func(apitypes.Empty) error {
				fmt.Fprintf(a.Out, "removed printer %s\n", args[0])
				return nil
			})
		},
	}
}
