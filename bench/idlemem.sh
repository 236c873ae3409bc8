#!/usr/bin/env bash
# Idle memory of a node in a 3-member workgroup with one share: three
# nodes on 127.0.0.1, alpha shares a folder, and IDLE seconds (default 30)
# after they settled each node's RSS is read from /proc/PID/status
# (VmRSS = RssAnon + RssFile + RssShmem), the CPU each spent while idle
# (utime+stime), with the Go heap from
# /debug/pprof/heap when PROFILE=1.
#
#   bench/idlemem.sh                  # IDLE=30
#   PH=/path/to/peerhood bench/idlemem.sh
#   RESIDENCY=40 bench/idlemem.sh     # + alpha's resident binary pages per section and package (bench/residency)
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${IDLE:-30}
H=$(mktemp -d /tmp/phm.XXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$H"; }
trap cleanup EXIT
# The nodes run a fresh copy: how much of a binary a fault maps depends
# on how its pages sit in the page cache (folio sizes), so two binaries
# compare fairly only when both were just written the same way.
if [ -z "${PH:-}" ]; then go build -o "$H/peerhood" ./cmd/peerhood; else cp "$PH" "$H/peerhood"; fi
PH="$H/peerhood"
start_node() { # name -> pid in NODEPID
  PEERHOOD_WEBDAV_ADDR=off "$PH" up --home "$H/$1" --name "$1" --listen /ip4/127.0.0.1/tcp/0 --log-level warn >"$H/$1.log" 2>&1 &
  NODEPID=$!; pids+=($NODEPID)
  for _ in $(seq 200); do "$PH" --home "$H/$1" status >/dev/null 2>&1 && return; sleep 0.05; done
  echo "node $1 did not start: $(cat "$H/$1.log")" >&2; exit 1
}
declare -A PID
for n in alpha bravo charlie; do start_node $n; PID[$n]=$NODEPID; done
"$PH" --home "$H/alpha" workgroup create bench >/dev/null
for n in bravo charlie; do "$PH" --home "$H/$n" join "$("$PH" --home "$H/alpha" invite | head -1)" >/dev/null; done
mkdir -p "$H/shared" && echo hello >"$H/shared/a.txt"
"$PH" --home "$H/alpha" share add data "$H/shared" >/dev/null
"$PH" --home "$H/bravo" ls alpha: >/dev/null
"$PH" --home "$H/charlie" ls alpha: >/dev/null
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks
declare -A CPU0
for n in alpha bravo charlie; do CPU0[$n]=$(cputicks "${PID[$n]}"); done
sleep "$IDLE"
echo "$(stat -c %s "$PH") bytes binary ($(go version -m "$PH" | awk '$2 ~ /^CGO_ENABLED=/ {print $2}')); ${IDLE} s after settling; load $(cut -d' ' -f1 /proc/loadavg)"
# PSS shares each file page among the processes mapping it (the three
# nodes run one binary): what smem reports as PSS.
for n in alpha bravo charlie; do
  cat "/proc/${PID[$n]}/status" "/proc/${PID[$n]}/smaps_rollup" | awk -v n="$n" '/^(VmRSS|RssAnon|RssFile|RssShmem|Pss|Pss_Anon|Pss_File):/ { v[$1] = $2 / 1024 }
    END { printf "%-8s VmRSS %5.1f MB  (anon %4.1f, file %4.1f, shmem %.1f)  PSS %5.1f MB (anon %4.1f, file %4.1f)", n, v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"], v["Pss:"], v["Pss_Anon:"], v["Pss_File:"] }'
  awk -v t=$(( $(cputicks "${PID[$n]}") - CPU0[$n] )) -v hz="$(getconf CLK_TCK)" -v idle="$IDLE" 'BEGIN { printf "  CPU %.2f s in %d s idle\n", t / hz, idle }'
done
if [ -n "${RESIDENCY:-}" ]; then
  go build -o "$H/residency" ./bench/residency && "$H/residency" -pid "${PID[alpha]}" -top "$RESIDENCY"
fi
if [ -n "${PROFILE:-}" ]; then
  curl -s --unix-socket "$H/alpha/control.sock" "http://peerhood/debug/pprof/heap" >"$H/heap.prof"
  go tool pprof -top -sample_index=inuse_space -nodecount=${NODES:-25} "$PH" "$H/heap.prof" 2>/dev/null | sed -n '1,32p'
  grep -E 'Threads' "/proc/${PID[alpha]}/status"
fi
