//go:build !race

package chat_test

const raceOn = false
