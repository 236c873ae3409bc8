package up

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/cli"
	"github.com/peerhood/peerhood/internal/daemon"
)

// shutdownLimit bounds a clean stop.
const shutdownLimit = 5 * time.Second

// Command is `peerhood up`, for cli.NewRoot.
func Command(a *cli.App) *cobra.Command {
	var name string
	var listen []string
	var reach string
	var noMDNS bool
	var maxConns int
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the node in the foreground",
		Long: `Run this machine's peerhood node in the foreground until SIGINT or SIGTERM
(a second Ctrl-C stops it at once).

On first run it creates the state folder (mode 0700), the node's keys
(node.key, age.key; mode 0600) and its SQLite database (state.db). The
node's name defaults to this machine's host name folded to DNS-label rules
(lower case, letters, digits and '-'); --name chooses another and is kept.

It listens with libp2p on TCP and QUIC, IPv4 and IPv6, port 4317 (--listen
takes multiaddrs; port 0 picks a free one). An IP family the machine lacks
is skipped; a port another program holds is an error. It prints one block
(name, peer ID, listen addresses, control socket); logs go to stderr.`,
		Example: "  peerhood up\n  peerhood up --name laptop --listen /ip4/0.0.0.0/tcp/4317 --listen /ip4/0.0.0.0/udp/4317/quic-v1\n  peerhood up --home /tmp/node2 --listen /ip4/127.0.0.1/tcp/0",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if maxConns < 0 {
				return fmt.Errorf("--max-member-conns %d: use 0 (every member) or more", maxConns)
			}
			log, err := a.Logger()
			if err != nil {
				return err
			}
			a.RouteLogs(log)
			defer startGCTuner()()
			home, err := a.Home()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			n, err := daemon.Start(ctx, daemon.Options{Home: home, Name: name, ListenAddrs: listen, Log: log, Out: a.Out, Reachability: reach, NoMDNS: noMDNS, MaxMemberConns: maxConns})
			if err != nil {
				return err
			}
			n.Wait(ctx)
			// From here a second SIGINT or SIGTERM kills the process at once.
			stop()
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
	cmd.Flags().StringVar(&name, "name", "", "node name, DNS-label rules (default: the stored name, else the host name folded)")
	cmd.Flags().StringSliceVar(&listen, "listen", nil, "libp2p listen multiaddr, repeatable (default: TCP and QUIC on port 4317, IPv4 and IPv6)")
	cmd.Flags().StringVar(&reach, "reachability", "", "override NAT detection: public (relay for members at once) or private (use member relays at once); default automatic")
	cmd.Flags().BoolVar(&noMDNS, "no-mdns", false, "do not announce or look for members on the LAN with mDNS")
	cmd.Flags().IntVar(&maxConns, "max-member-conns", 0, "dial at most this many members (0: all, a full mesh); for large workgroups, where gossip carries presence and the roster and other members are reached on demand")
	return cmd
}
