//go:build race

package discovery

// raceEnabled: the race detector slows every goroutine 5 to 10 times, so
// the large clusters (a scale test, not a concurrency test) run once, at
// full size, in the plain `go test` multi-node step of scripts/test.sh,
// and are skipped here (skipUnderRace).
const raceEnabled = true
