//go:build unix

// Command chatload is the peerhood side of bench/chat.sh: given the
// state folders of running members of one workgroup, it creates a room
// (on the first) and has every member join it, opens GET /v1/events on
// every member, sends -msgs messages in all at -rate per second through
// the first -senders members (round robin, each over its own control
// API), and prints the rate every member displayed them at, the
// send-to-display latency over every (message, member) pair seen live,
// then, once every member holds every message or -wait passed, the
// messages lost and duplicated as read back from each member's history.
// A member's stream that ends (the member was killed) is reopened until
// the run ends; what it missed live is counted from its history only.
package main
