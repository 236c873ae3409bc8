package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/client"
	"github.com/peerhood/peerhood/internal/version"
)

func (a *App) statusCmd() *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running node: name, peer ID, addresses, uptime, peers",
		Long: `Show the running node's name, peer ID, listen addresses (with /p2p/PEERID,
ready to give to 'peerhood connect' on another machine), version, uptime
and connected peers with link type (direct or relayed) and round-trip time.
--json prints GET /v1/status of the control API.`,
		Example: "  peerhood status\n  peerhood status --json | jq -r .peer_id\n  peerhood up & peerhood status --wait 20s   # in a script",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) (apitypes.Status, error) { return waitStatus(cmd.Context(), c, wait) }, func(s apitypes.Status) error {
				fmt.Fprintf(a.Out, "name     %s\npeer ID  %s\nversion  %s\nuptime   %s\nhome     %s\n",
					s.Name, s.PeerID, s.Version, s.Uptime.Round(time.Second), s.Home)
				for _, ad := range s.Addresses {
					fmt.Fprintf(a.Out, "address  %s\n", ad)
				}
				if s.IRC != "" {
					fmt.Fprintf(a.Out, "irc      %s (password: the node's token, as mount-info prints it)\n", s.IRC)
				}
				a.printNodeWorkgroups(s.Workgroups)
				nw := s.Network
				relay := "no"
				if nw.Relaying {
					relay = "yes"
				}
				fmt.Fprintf(a.Out, "reach    %s; relays for members: %s (%s)\n", nw.Reachability, relay, nw.RelayReason)
				if len(nw.Relays) > 0 {
					fmt.Fprintf(a.Out, "relays   %s\n", strings.Join(nw.Relays, ", "))
				}
				fmt.Fprintf(a.Out, "punch    %s\n", nw.HolePunch)
				fmt.Fprintf(a.Out, "members  %d: %d connected, %d no route\n", nw.Members, nw.Connected, nw.NoRoute)
				for _, w := range nw.Warnings {
					fmt.Fprintf(a.Out, "warning  %s\n", w)
				}
				fmt.Fprintf(a.Out, "peers    %d connected\n", len(s.Peers))
				if len(s.Peers) > 0 {
					a.printPeers(s.Peers)
				}
				printRemovals(a.Out, s.Removed)
				return nil
			})
		},
	}
	durationFlag(cmd.Flags(), &wait, "wait", 0, "wait this long for a node that is starting to answer")
	return cmd
}

// waitStatus asks the node's status, waiting up to wait for a node that
// is not answering yet (one just started).
func waitStatus(ctx context.Context, c *client.Client, wait time.Duration) (apitypes.Status, error) {
	deadline := time.Now().Add(wait)
	for {
		st, err := c.Status(ctx)
		if err == nil || !errors.Is(err, client.ErrNotRunning) || time.Now().After(deadline) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (a *App) peersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "peers",
		Short: "List connected peers with link type and round-trip time",
		Long: `List the peers this node holds a connection to: peer ID, link type
(direct, or relayed through another peer), who dialled, round-trip time
and remote address. --json prints GET /v1/peers of the control API.`,
		Example: "  peerhood peers\n  peerhood peers --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Call(a, func(c *client.Client) ([]apitypes.PeerInfo, error) { return c.Peers(cmd.Context()) }, func(ps []apitypes.PeerInfo) error {
				if len(ps) == 0 {
					fmt.Fprintln(a.Out, "no peers connected")
					return nil
				}
				a.printPeers(ps)
				return nil
			})
		},
	}
}

func (a *App) printPeers(ps []apitypes.PeerInfo) {
	tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tPEER\tLINK\tDIRECTION\tRTT\tADDRESS")
	for _, p := range ps {
		rtt := "-"
		if p.RTT > 0 {
			rtt = p.RTT.Round(10 * time.Microsecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", peerMemberNames(p.Members), p.ID, p.Link, p.Direction, rtt, p.Addr)
	}
	tw.Flush()
}

func (a *App) connectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "connect MULTIADDR",
		Short: "Dial a peer by multiaddr (a diagnostic)",
		Long: `Ask the running node to dial a peer at a multiaddr ending in /p2p/PEERID
(as 'peerhood status' prints on the other machine) and report the link
type and round-trip time. It dials that address only, and fails when it
does not answer, even if the peer is connected through another address
(that one is then checked with a fresh connection of its own). A diagnostic: workgroup members find each other
without it. --json prints POST /v1/connect of the control API.`,
		Example: "  peerhood connect /ip4/192.0.2.7/tcp/4317/p2p/12D3KooW...\n  peerhood connect /ip6/2001:db8::7/udp/4317/quic-v1/p2p/12D3KooW...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Call(a, func(c *client.Client) (apitypes.ConnectResult, error) { return c.Connect(cmd.Context(), args[0]) }, func(r apitypes.ConnectResult) error {
				fmt.Fprintf(a.Out, "connected to %s at %s (%s, rtt %s)\n", r.PeerID, r.Dialed, r.Peer.Link, r.Peer.RTT.Round(10*time.Microsecond))
				if r.Probed {
					fmt.Fprintf(a.Out, "the address answered a fresh connection of its own; the peer stays connected through %s\n", r.Via)
				}
				return nil
			})
		},
	}
}

func (a *App) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of this binary (and of the running node, if any)",
		Example: "  peerhood version\n  peerhood version --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.Client()
			if err != nil {
				return err
			}
			// The running node's version is a bonus: a node that does not
			// answer quickly is left out.
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
			defer cancel()
			v, nodeErr := c.Version(ctx)
			if a.JSON() {
				out := map[string]string{"cli": version.String()}
				if nodeErr == nil {
					out["node"] = v.Version
				}
				return printJSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "peerhood %s\n", version.String())
			if nodeErr == nil {
				fmt.Fprintf(a.Out, "running node %s\n", v.Version)
			}
			return nil
		},
	}
}

// peerMemberNames shows a peer's member names: "bob", or "bob@office,
// robert@home" when it is in several of this node's workgroups; "-" for
// a peer that is no member.
func peerMemberNames(ms []apitypes.PeerMember) string {
	if len(ms) == 0 {
		return "-"
	}
	if len(ms) == 1 {
		return ms[0].Name
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Name + "@" + m.WorkgroupName
	}
	return strings.Join(parts, ",")
}

// printNodeWorkgroups is status's workgroup lines: the name this node
// has in each.
func (a *App) printNodeWorkgroups(ws []apitypes.NodeWorkgroup) {
	if len(ws) == 0 {
		fmt.Fprintln(a.Out, "in       no workgroup (peerhood workgroup create NAME, or peerhood join)")
		return
	}
	for _, w := range ws {
		role := ""
		if w.Admin {
			role = ", admin"
		}
		fmt.Fprintf(a.Out, "in       %s as %s (%d members%s; %s)\n", w.Name, w.Self, w.Members, role, w.ID)
	}
}
