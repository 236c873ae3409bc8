//go:build race

package testnet_test

// raceOn: the race detector slows every goroutine 5-10x; the hostile
// member's tests open fewer streams, and the flood runs only without it
// (scripts/test.sh, "multi-node tests").
const raceOn = true
