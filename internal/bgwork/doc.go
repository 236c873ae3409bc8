// Package bgwork owns the counting of a service's background work: the
// work started outside the service's own goroutines (a stream handler
// libp2p runs, a network notification, an API call), which Close must
// wait for (docs/architecture.md, "Close waits for all its work").
//
// The rule: such work is counted under a lock only while a closing flag
// is false. Close sets the flag (Stop) before it cancels the service's
// context or resets its streams, then waits (Wait); work that would
// start once Stop ran is refused (Add and Go report false) and must not
// run. Counting under the same lock Stop takes orders every Add before
// Wait, as sync.WaitGroup requires of an Add made while the count may
// be zero.
//
// A Group's zero value is ready to use; it must not be copied after
// first use. It imports only the standard library.
package bgwork
