#!/bin/sh
# Chat throughput and latency, side by side with ngircd.
#
# peerhood: MEMBERS whole nodes (in one process, real libp2p on
# 127.0.0.1) all saying things to one room, MSGS messages at RATE per
# second in all (BenchmarkRoom in internal/chat/bench_test.go): msgs/s as
# received by every member, p50/p99 send-to-receive latency over every
# (message, member) pair, messages lost and duplicated (read back from
# every member's history).
# ngircd (Debian package ngircd): MEMBERS IRC clients on one server, the
# same load (bench/ircload). Then the ratios.
#
#   bench/chat.sh                    # 8 members, 2000 messages at 500/s
#   MEMBERS=20 MSGS=10000 RATE=500 bench/chat.sh
set -eu
cd "$(dirname "$0")/.."
M=${MEMBERS:-8} N=${MSGS:-2000} R=${RATE:-500}
ph=$(PEERHOOD_BENCH_MEMBERS=$M PEERHOOD_BENCH_MSGS=$N PEERHOOD_BENCH_RATE=$R \
	go test -run '^$' -bench '^BenchmarkRoom$' -benchtime 1x -count 1 -timeout 20m ./internal/chat/ 2>&1 |
	grep -v 'level=WARN')
echo "$ph" | grep -E 'BenchmarkRoom|members,'
irc=$(go run ./bench/ircload -members "$M" -msgs "$N" -rate "$R")
echo "$irc"
echo "$ph" | awk -v irc="$irc" '
	/^BenchmarkRoom/ { for (i = 1; i < NF; i++) { if ($(i+1) == "msgs/s") r = $i; if ($(i+1) == "p99-ms") p = $i } }
	END {
		split(irc, f, " ")
		for (i in f) { if (f[i] == "msgs/s") ir = f[i-1]; if (f[i] == "p99") ip = f[i+1] }
		if (ir > 0 && ip > 0) printf "peerhood/ngircd: throughput %.2fx, p99 latency %.2fx\n", r / ir, p / ip
	}'
