// Package up is `peerhood up`: the one CLI command that runs a node in
// this process. It is the only part of the CLI allowed to import the
// daemon (internal/archtest enforces it); every other command talks to a
// running node through the typed client. While the node runs, the
// garbage collector's GOGC follows its allocation rate (gc.go: 50 idle,
// 100 busy).
package up
