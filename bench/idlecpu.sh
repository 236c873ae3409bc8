#!/usr/bin/env bash
# Idle CPU of a node as the workgroup grows: MEMBERS `peerhood up`
# processes on 127.0.0.1 (as bench/chat.sh starts them) in one workgroup,
# every member in one chat room, nothing said. After SETTLE seconds
# (default 15) each node's utime+stime is read from /proc/PID/stat, again
# IDLE seconds (default 30) later, and the script prints the mean, min and
# max idle CPU per node in ms of CPU per second. PROFILE=FILE also takes
# a CPU profile of member 1 over the IDLE window (its /debug/pprof on the
# control socket) and prints its top entries; PROFILES=k profiles members
# 1..k (FILE.1 .. FILE.k) and prints the merged top (k=4 gives ~4 times
# the samples of one idle node).
#
#   bench/idlecpu.sh                       # MEMBERS=3
#   MEMBERS=12 bench/idlecpu.sh
#   MEMBERS=12 PROFILE=/tmp/idle.prof bench/idlecpu.sh
#   PH=/path/to/peerhood bench/idlecpu.sh  # another build
#   UPFLAGS=--no-mdns bench/idlecpu.sh     # extra flags for `peerhood up`
#   BASE=/path/to/peerhood-main MEMBERS=12 bench/idlecpu.sh
#       # odd members run BASE, even ones this build, in one workgroup and
#       # one run: prints each build's mean and the ratio (same load)
set -euo pipefail
cd "$(dirname "$0")/.."
M=${MEMBERS:-3} IDLE=${IDLE:-30} SETTLE=${SETTLE:-15}
W=$(mktemp -d /tmp/phidle-XXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
if [ -z "${PH:-}" ]; then go build -o "$W/peerhood" ./cmd/peerhood; else cp "$PH" "$W/peerhood"; fi
PH="$W/peerhood"
[ -z "${BASE:-}" ] || cp "$BASE" "$W/base"
bin() { if [ -n "${BASE:-}" ] && [ $(($1 % 2)) = 1 ]; then echo "$W/base"; else echo "$PH"; fi; }
addr() { "$PH" --home "$1" status --json | python3 -c 'import json,sys;print([a for a in json.load(sys.stdin)["addresses"] if "/tcp/" in a][0])'; }
declare -a HOME_ PID
for i in $(seq 0 $((M - 1))); do
  HOME_[$i]="$W/m$i"
  PEERHOOD_WEBDAV_ADDR=off "$(bin "$i")" up --home "${HOME_[$i]}" --name "m$i" --listen /ip4/127.0.0.1/tcp/0 --log-level error ${UPFLAGS:-} >>"${HOME_[$i]}.log" 2>&1 &
  PID[$i]=$!; PIDS+=("${PID[$i]}")
  for _ in $(seq 400); do "$PH" --home "${HOME_[$i]}" version --json 2>/dev/null | grep -q '"node"' && break; sleep 0.05; done
done
"$PH" --home "${HOME_[0]}" workgroup create bench >/dev/null
A0=$(addr "${HOME_[0]}")
for i in $(seq 1 $((M - 1))); do
  "$PH" --home "${HOME_[$i]}" join "$("$PH" --home "${HOME_[0]}" invite | head -1)" --name "m$i" >/dev/null
  "$PH" --home "${HOME_[$i]}" connect "$A0" >/dev/null
done
for _ in $(seq 300); do
  [ "$("$PH" --home "${HOME_[0]}" members --json | python3 -c 'import json,sys;print(len(json.load(sys.stdin)))')" = "$M" ] && break
  sleep 0.1
done
"$PH" --home "${HOME_[0]}" room create idle >/dev/null
for i in $(seq 1 $((M - 1))); do "$PH" --home "${HOME_[$i]}" room join idle >/dev/null 2>&1 || true; done
sleep "$SETTLE"
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -a C0
for i in $(seq 0 $((M - 1))); do C0[$i]=$(cputicks "${PID[$i]}"); done
L0=$(cut -d' ' -f1 /proc/loadavg)
CURLS=() PFILES=()
if [ -n "${PROFILE:-}" ]; then
  for k in $(seq 1 "${PROFILES:-1}"); do
    f=$PROFILE; [ "${PROFILES:-1}" = 1 ] || f=$PROFILE.$k
    curl -s --max-time $((IDLE + 10)) --unix-socket "${HOME_[$k]}/control.sock" "http://peerhood/debug/pprof/profile?seconds=$IDLE" >"$f" &
    CURLS+=($!) PFILES+=("$f")
  done
fi
sleep "$IDLE"
for c in "${CURLS[@]}"; do wait "$c" || true; done
for i in $(seq 0 $((M - 1))); do echo $(( $(cputicks "${PID[$i]}") - C0[$i] )) $((i % 2)); done >"$W/cpu"
awk -v hz="$(getconf CLK_TCK)" -v idle="$IDLE" -v m="$M" -v l0="$L0" -v l1="$(cut -d' ' -f1 /proc/loadavg)" '
    { v = $1 * 1000 / hz / idle; s += v; if (NR == 1 || v < lo) lo = v; if (v > hi) hi = v }
    END { printf "idle cpu: %d members, %d s: mean %.1f ms/s per node (min %.1f, max %.1f), all nodes %.3f cores; load %s -> %s\n", m, idle, s / NR, lo, hi, s / 1000, l0, l1 }' "$W/cpu"
if [ -n "${BASE:-}" ]; then
  awk -v hz="$(getconf CLK_TCK)" -v idle="$IDLE" '{ v = $1 * 1000 / hz / idle; s[$2] += v; n[$2]++ }
    END { a = s[0] / n[0]; b = s[1] / n[1]; printf "idle cpu: this build %.1f ms/s per node (%d nodes), BASE %.1f ms/s (%d nodes), ratio %.2f\n", a, n[0], b, n[1], a / b }' "$W/cpu"
fi
if [ -n "${PROFILE:-}" ]; then
  go tool pprof -top -nodecount=${NODES:-30} "$PH" "${PFILES[@]}" 2>/dev/null | sed -n "1,$((${NODES:-30} + 10))p"
  cp "$PH" "$PROFILE.bin"
fi
