// Package cli holds the cobra commands of the peerhood binary. Every
// command but `up` is a thin call to the control API (internal/api): the
// CLI formats what the API returns, and `--json` prints the API's JSON.
package cli
