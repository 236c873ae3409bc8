// Package daemon wires a node together and owns its lifecycle: it checks
// and locks the state folder, loads the identity, opens the database,
// starts the libp2p host and the services, serves the control API, and
// stops everything in order on SIGINT or SIGTERM.
//
// State folder layout:
//
//	lock          held (flock / LockFileEx) while a node runs; holds its PID
//	node.key      Ed25519 node key (0600)
//	age.key       age X25519 identity (0600)
//	state.db      SQLite database (WAL; -wal and -shm beside it)
//	control.sock  control API (0600)
package daemon
