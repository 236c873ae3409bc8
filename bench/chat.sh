#!/usr/bin/env bash
# Chat throughput and latency, side by side with ngircd, in one run.
#
# peerhood: MEMBERS members, each its own `peerhood up` process on
# 127.0.0.1, in one workgroup and one room; bench/chatload sends MSGS
# messages in all at RATE per second, spread over the first SENDERS
# members, and reads GET /v1/events on every member: msgs/s displayed,
# p50/p99 send-to-display latency over every (message, member) pair, then
# lost and duplicated messages read back from every member's history.
# KILL=k: k members (not senders) are SIGKILLed a third of the way into
# the run and restarted 3 s later; every member must still end with
# every message.
# Catch-up (CATCHUP=n, default 10000; 0 skips it): then, in another room,
# the last member is SIGKILLed, the others say n messages at CATCHUP_RATE
# (default RATE) per second, the member is restarted, and the time until
# it holds all n is printed (from the restart, and from its node
# answering), with lost and duplicated from its history.
# ngircd (Debian package ngircd): MEMBERS IRC clients on one server, the
# same load (bench/ircload). Then the ratios.
#
#   bench/chat.sh                             # 8 members, 2000 at 500/s
#   MEMBERS=20 MSGS=10000 RATE=500 bench/chat.sh
#   MEMBERS=20 KILL=4 SENDERS=16 bench/chat.sh
#   PEERHOOD_BIN=/tmp/peerhood-main bench/chat.sh    # another build
#   PROFILE=/tmp/prof NOIRC=1 bench/chat.sh  # CPU profiles of a sender and the
#                                            # last member, no ngircd run
#   SELFPROF=/tmp/chatload.prof bench/chat.sh   # CPU profile of chatload itself
#   TIMELINE=/tmp/tl bench/chat.sh           # the per-second latency table (p50/p99
#                                            # by the second messages were due, worst
#                                            # member, Say p99, CPU, GC, writer and
#                                            # indexer batches, store lock holds)
# Every run prints "peerhood tail:": the worst second's p99, the seconds
# whose p99 is over 50 ms, each receiving member's p99.
#   IDLE_ONLY=1 MEMBERS=20 PROFILE=/tmp/idle NOIRC=1 bench/chat.sh
#       # set the room up, say nothing: every member's CPU (ms/s) in the
#       # WINDOW s (default 3) right after setup and again SETTLE s (default
#       # 20) after setup for SWINDOW s (default 10), and the mean every
#       # WINDOW s between; PROFILE profiles every member in both windows
#   BASE=/path/to/peerhood-main IDLE_ONLY=1 MEMBERS=20 bench/chat.sh
#       # odd members run BASE, even ones this build (or PEERHOOD_BIN), in
#       # one room and one run: each build's mean idle CPU apart (and,
#       # in a load run, each half's CPU per delivery and peak RSS)
#   ODD_ENV=GOGC=200 MEMBERS=8 MSGS=4000 NOIRC=1 CATCHUP=0 bench/chat.sh
#       # odd members run with that environment: the same comparison
# The in-process variant (all members in one test binary):
#   PEERHOOD_BENCH_MEMBERS=8 go test -run '^$' -bench BenchmarkRoom ./internal/chat/
set -euo pipefail
cd "$(dirname "$0")/.."
M=${MEMBERS:-8} N=${MSGS:-2000} R=${RATE:-500} K=${KILL:-0}
C=${CATCHUP:-10000} CR=${CATCHUP_RATE:-$R}
S=${SENDERS:-$((M - K))}
W=$(mktemp -d /tmp/phchat-XXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}" $(cat "$W/restarted" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
addr() { "$PH" --home "$1" status --json | python3 -c 'import json,sys;print([a for a in json.load(sys.stdin)["addresses"] if "/tcp/" in a][0])'; }

go build -o "$W/chatload" ./bench/chatload
if [ -n "${PEERHOOD_BIN:-}" ]; then PH=$PEERHOOD_BIN # e.g. another commit's build, to compare
else go build -o "$W/peerhood" ./cmd/peerhood; PH="$W/peerhood"; fi
[ -z "${BASE:-}" ] || cp "$BASE" "$W/base"
bin() { if [ -n "${BASE:-}" ] && [ $(($1 % 2)) = 1 ]; then echo "$W/base"; else echo "$PH"; fi; }
oddenv() { if [ -n "${ODD_ENV:-}" ] && [ $(($1 % 2)) = 1 ]; then echo "$ODD_ENV"; fi; } # e.g. ODD_ENV=GOGC=200
PARITY=${BASE:+-parity}; PARITY=${PARITY:-${ODD_ENV:+-parity}}
declare -a HOME_ PORT PID
start_node() { # index
  local i=$1
  env $(oddenv "$i") "$(bin "$i")" up --home "${HOME_[$i]}" --name "m$i" --listen "/ip4/127.0.0.1/tcp/${PORT[$i]}" --log-level error >>"${HOME_[$i]}.log" 2>&1 &
  PID[$i]=$!
  PIDS+=("${PID[$i]}")
  for _ in $(seq 400); do "$PH" --home "${HOME_[$i]}" version --json 2>/dev/null | grep -q '"node"' && return 0; sleep 0.05; done
  echo "member $i did not start" >&2; cat "${HOME_[$i]}.log" >&2; exit 1
}
for i in $(seq 0 $((M - 1))); do
  HOME_[$i]="$W/m$i" PORT[$i]=$(freeport)
  start_node "$i"
done
"$PH" --home "${HOME_[0]}" workgroup create bench >/dev/null
A0=$(addr "${HOME_[0]}")
for i in $(seq 1 $((M - 1))); do
  TOK=$("$PH" --home "${HOME_[0]}" invite | head -1)
  "$PH" --home "${HOME_[$i]}" join "$TOK" --name "m$i" >/dev/null
  "$PH" --home "${HOME_[$i]}" connect "$A0" >/dev/null
done
for _ in $(seq 300); do
  [ "$("$PH" --home "${HOME_[0]}" members --json | python3 -c 'import json,sys;print(len(json.load(sys.stdin)))')" = "$M" ] && break
  sleep 0.1
done
HOMES=$(IFS=,; echo "${HOME_[*]}")
if [ "$K" -gt 0 ]; then # SIGKILL the last K members a third of the way in, restart them 3 s later
  (
    for _ in $(seq 1200); do [ -e "$W/sending" ] && break; sleep 0.1; done # chatload's setup, join and idle window
    sleep "$(python3 -c "print($N / $R / 3)")" # then a third of the sending
    for i in $(seq $((M - K)) $((M - 1))); do kill -9 "${PID[$i]}"; wait "${PID[$i]}" 2>/dev/null || true; done
    echo "killed members $((M - K))..$((M - 1))" >&2
    sleep 3
    for i in $(seq $((M - K)) $((M - 1))); do
      env $(oddenv "$i") "$(bin "$i")" up --home "${HOME_[$i]}" --name "m$i" --listen "/ip4/127.0.0.1/tcp/${PORT[$i]}" --log-level error >>"${HOME_[$i]}.log" 2>&1 &
      echo $! >>"$W/restarted"
    done
    echo "restarted them" >&2
    wait
  ) &
  PIDS+=($!)
fi
if [ -n "${IDLE_ONLY:-}" ]; then
  "$W/chatload" -homes "$HOMES" -idle -settle "${SETTLE:-20}s" -window "${WINDOW:-3}s" -settled-window "${SWINDOW:-10}s" $PARITY ${PROFILE:+-profile "$PROFILE"}
  exit 0
fi
ph=$("$W/chatload" -homes "$HOMES" $PARITY -started "$W/sending" -msgs "$N" -rate "$R" -senders "$S" ${PROFILE:+-profile "$PROFILE"} ${TIMELINE:+-timeline "$TIMELINE"} ${SELFPROF:+-selfprofile "$SELFPROF"})
echo "$ph"
if [ "$C" -gt 0 ]; then # catch-up: the last member away while C messages are said in another room
  L=$((M - 1))
  RESTART="env $(oddenv "$L") '$(bin "$L")' up --home '${HOME_[$L]}' --name m$L --listen /ip4/127.0.0.1/tcp/${PORT[$L]} --log-level error >>'${HOME_[$L]}.log' 2>&1 & echo \$! >>'$W/restarted'"
  cu=$("$W/chatload" -homes "$HOMES" -room catchup -catchup "$C" -rate "$CR" -restart "$RESTART")
  echo "$cu"
fi
[ -z "${NOIRC:-}" ] || exit 0
irc=$(go run ./bench/ircload -members "$M" -msgs "$N" -rate "$R")
echo "$irc"
printf '%s\n%s\n' "$ph" "$irc" | awk '
	/msgs\/s/ { for (i = 1; i < NF; i++) { if ($(i+1) == "msgs/s") r[$1] = $i; if ($i == "p99") p[$1] = $(i+1) } }
	END { if (r["ngircd:"] > 0 && p["ngircd:"] > 0)
		printf "peerhood/ngircd: throughput %.2fx, p99 latency %.2fx\n", r["peerhood:"] / r["ngircd:"], p["peerhood:"] / p["ngircd:"] }'
