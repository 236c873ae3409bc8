// Package cli holds the cobra commands of the peerhood binary. Every
// command but `up` is a thin call to the control API through the typed
// client (internal/client) with the types of internal/apitypes: the CLI
// formats what the API returns, and `--json` prints the API's raw JSON.
//
// The CLI imports no service and not the daemon (internal/archtest
// enforces it). `peerhood up`, which runs a node in the process, lives in
// the sub-package cli/up, the only part allowed to import the daemon;
// cmd/peerhood adds it with NewRoot(up.Command).
package cli
