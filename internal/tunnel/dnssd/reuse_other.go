//go:build !unix

package dnssd

// reuse does nothing here: the responder may fail to bind 5353 while
// another responder holds it.
func reuse(uintptr) error { return nil }
