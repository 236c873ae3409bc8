// Package testutil holds helpers that several packages' tests share
// (waiting for a condition, a small tmpfs to fill up). It is imported by
// tests only.
package testutil
