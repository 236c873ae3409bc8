// Command rawstream measures the ceiling of one libp2p stream on this
// machine: a receiver process and a sender process (this binary run
// twice), each a go-libp2p host with TCP, TLS and yamux on 127.0.0.1 as
// peerhood uses them, move -mib MiB of zeros over one stream, written in
// 1 MiB chunks and discarded. No files, no hashing: what a file transfer
// over libp2p could reach at best. bench/share.sh runs it next to
// peerhood get/put, scp, smbclient and iperf3.
//
//	go run ./bench/rawstream -mib 1024          # prints MB/s
//	go run ./bench/rawstream -mib 1024 -quic    # one QUIC stream instead
//	go run ./bench/rawstream -mib 1024 -cpu     # MB/s, then CPU-s/GiB of sender and receiver
//	go run ./bench/rawstream -src F -dst G      # a file: pread, BLAKE3 and write at the receiver (files.go)
//	go run ./bench/rawstream -mib 1024 -transport peerhood   # a node's TCP upgrader (internal/p2p.NewUpgrader: batchTLS, yamux 256 KiB frames)
//
//	go run ./bench/rawstream -mib 1024 -transport peerhood -window   # and the yamux window the stream grew to
//
// -cpu adds the CPU time (user+system, getrusage) each process spent
// while the bytes moved, per GiB: the yardstick for peerhood's own
// CPU-s/GiB (bench/sharecpu.sh).
package main
