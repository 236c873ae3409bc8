// Package testutil holds helpers that several packages' tests share
// (waiting for a condition). It is imported by tests only.
package testutil
