//go:build race

package chat_test

// raceOn: the race detector slows everything several times; the heavy
// scenario runs fewer nodes.
const raceOn = true
