package cli

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/daemon"
)

// shutdownLimit bounds a clean stop.
const shutdownLimit = 5 * time.Second

func (a *App) upCmd() *cobra.Command {
	var name string
	var listen []string
	var reach string
	var noMDNS bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the node in the foreground",
		Long: `Run this machine's peerhood node in the foreground until SIGINT or SIGTERM.
On first run it creates the state folder, the node's keys and database.`,
		Example: "  peerhood up\n  peerhood up --name laptop --listen /ip4/0.0.0.0/tcp/4317",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := a.Logger()
			if err != nil {
				return err
			}
			home, err := a.Home()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			n, err := daemon.Start(ctx, daemon.Options{Home: home, Name: name, ListenAddrs: listen, Log: log, Out: a.Out, Reachability: reach, NoMDNS: noMDNS})
			if err != nil {
				return err
			}
			n.Wait(ctx)
			log.Info("stopping")
			done := make(chan error, 1)
			go func() { done <- n.Close() }()
			select {
			case err := <-done:
				if err != nil {
					log.Warn("stopped with errors", "err", err)
				}
				return nil
			case <-time.After(shutdownLimit):
				return fmt.Errorf("node did not stop within %s", shutdownLimit)
			}
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "node name (DNS-label rules; default: the host name)")
	cmd.Flags().StringSliceVar(&listen, "listen", nil, "libp2p listen multiaddrs (default: TCP and QUIC on port 4317, IPv4 and IPv6)")
	cmd.Flags().StringVar(&reach, "reachability", "", "override NAT detection: public (relay for members at once) or private (use member relays at once); default automatic")
	cmd.Flags().BoolVar(&noMDNS, "no-mdns", false, "do not announce or look for members on the LAN with mDNS")
	return cmd
}
