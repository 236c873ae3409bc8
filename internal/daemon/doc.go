// Package daemon wires a node together and owns its lifecycle: it checks
// and locks the state folder, loads the identity, opens the database,
// starts the libp2p host and the services, serves the control API, and
// stops everything in order on SIGINT or SIGTERM.
//
// Services run as modules (Module: Routes, Close, and Start when they
// have a start step), listed in dependency order in modules.go: each
// entry builds its service with what it needs handed directly (the
// workgroup Directory, the share and presence services), so no service
// is ever built before what it uses and none checks for a missing one.
// Each module's routes go on the control API; the node's own endpoints
// (status, peers, connect, version, shutdown) are in routes.go. Adding a
// service is its package plus one line in the module list.
//
// Stopping: the control API stops taking requests (running ones get
// 1.5 s), then services, the host and the database close in reverse order
// of start, then the lock is released; Close returns within StopLimit
// (4 s) even if a component hangs, so `peerhood up` exits within 5 s;
// its error then names the component (ErrSlowStop), and WaitStopped
// waits for what it left running (tests).
//
// Refusals: a state folder others can read, one locked by another node
// (the error names its PID), a key file or database that cannot be read
// or parsed (the error names the file; nothing is overwritten or
// repaired). The node's name defaults to the host name folded to DNS-label
// rules (identity.FoldName) and is stored in the database.
//
// State folder layout:
//
//	lock          held (flock / LockFileEx) while a node runs; holds its PID
//	node.key      Ed25519 node key (0600)
//	age.key       age X25519 identity (0600)
//	state.db      SQLite database (WAL; -wal and -shm beside it)
//	control.sock  control API (0600)
//
// GET /metrics serves one Prometheus registry: Go's and the process's
// collectors, libp2p's, and the peerhood_* collectors of every module
// that has a Collectors() []prometheus.Collector method, registered as
// it starts (modules.go).
//
// GET /v1/status lists the node's workgroups with its member name in
// each; GET /v1/peers gives each connected peer's member names.
package daemon
