// Package hashbench compares the digests the end-to-end check of
// /peerhood/files/1 could use, on this machine, one core, 1 MiB writes
// (the transfer pipeline's chunk):
//
//	go test -run - -bench . -cpu 1 -count 3 ./bench/hashbench/
//
// It chose github.com/zeebo/blake3 for internal/share (hashalgo.go); the
// figures are in docs/design/speed.md.
package hashbench
