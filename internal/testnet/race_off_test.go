//go:build !race

package testnet_test

// raceOn: see race_on_test.go.
const raceOn = false
