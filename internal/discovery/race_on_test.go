//go:build race

package discovery

// raceEnabled: the race detector slows every goroutine 5 to 10 times, so
// the large clusters (a scale test, not a concurrency test) are run at
// full size by the plain `go test` step of scripts/test.sh and at a
// smaller size here.
const raceEnabled = true
