#!/bin/sh
# Chat throughput and latency: MEMBERS whole nodes (in one process, real
# libp2p on 127.0.0.1) all saying things to one room at RATE messages per
# second in all, MSGS messages. Prints msgs/s (received by every member),
# p50/p99 send-to-receive latency over every (message, member) pair, and
# the messages lost and duplicated (read back from every member's
# history). See BenchmarkRoom in internal/chat/bench_test.go.
#
#   bench/chat.sh                    # 8 members, 2000 messages at 500/s
#   MEMBERS=20 MSGS=10000 RATE=500 bench/chat.sh
set -eu
cd "$(dirname "$0")/.."
PEERHOOD_BENCH_MEMBERS=${MEMBERS:-8} PEERHOOD_BENCH_MSGS=${MSGS:-2000} PEERHOOD_BENCH_RATE=${RATE:-500} \
	go test -run '^$' -bench '^BenchmarkRoom$' -benchtime 1x -count 1 -timeout 20m ./internal/chat/ 2>&1 |
	grep -v 'level=WARN'
