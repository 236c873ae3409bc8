// Package testnet runs several whole peerhood nodes in one test process:
// each is daemon.Start with its own temporary state folder (or one the test
// gives, Net.Add: a small file system to fill, say), a real libp2p
// host on the loopback interface, every service and the control API on its
// own unix socket, with fast timers (Fast). Helpers create a workgroup,
// invite and join every node, connect them, and wait until the roster and
// presence have converged; a test then drives each node through its control
// API client (Do, exactly what the CLI sends) or calls the in-process node
// (the embedded *daemon.Node). Nodes stop when the test ends; one slower
// than daemon.StopLimit is waited for and logged (many nodes stop at once
// in one process), one that never stops fails the test.
//
// It is for daemon-level and cross-service tests. Service packages cannot
// import it (daemon imports them) and keep one local test node each, built
// on p2p/p2ptest. Imported by tests only.
package testnet
