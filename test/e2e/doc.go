// Package e2e runs real peerhood processes, each in its own temporary
// state folder, and drives them through the CLI as a user would.
//
// harness_test.go builds the binary once per test run (TestMain) and offers
// Node: start, run a command, decode --json output, SIGKILL, restart.
// Scenarios that need network namespaces live in netns*_test.go files and
// skip with a clear message when not run as root.
package e2e
