// Package testutil holds helpers that several packages' tests share
// (waiting for a condition, a small tmpfs to fill up, a loopback TCP
// server that accepts and serves or holds silent). It is imported by
// tests only.
package testutil
