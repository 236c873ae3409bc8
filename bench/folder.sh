#!/usr/bin/env bash
# Folder of small files, the part of bench/share.sh that issue 12 goal 2
# is about, alone and cheaper: SMALL_FILES (2000) x 4 KiB files in 10
# subfolders, peerhood get -r / put -r against rsync over ssh
# (aes128-gcm), interleaved RUNS rounds (5), every tool timed as a whole
# process; for peerhood also the CPU seconds (user+system, /proc/PID/stat)
# of the sharing node and of the node the CLI asks, per operation. Prints
# best / median and the ratios against the goal (>= 1.5x rsync).
#
#   bench/folder.sh                      # RUNS=5 SMALL_FILES=2000 BENCH_DIR=/dev/shm QUIET_LOAD=1.5
#   PH=/path/to/peerhood bench/folder.sh # measure another build
#   STRACE=1 bench/folder.sh             # also strace -c of the sharing node during a put -r and a get -r
#
# Needs rsync and sshd (apt-get install rsync openssh-server openssh-client), root for sshd.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
SMALL_FILES=${SMALL_FILES:-2000}
QUIET_LOAD=${QUIET_LOAD:-1.5}
BASE=${BENCH_DIR:-/dev/shm}
W=$(mktemp -d "$BASE/phfold.XXXXXX")
H=$(mktemp -d /tmp/phf.XXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W" "$H"
}
trap cleanup EXIT
command -v rsync >/dev/null && [ -x /usr/sbin/sshd ] || { echo "missing rsync or sshd: apt-get install rsync openssh-server openssh-client" >&2; exit 1; }
if [ -z "${PH:-}" ]; then
  go build -o "$H/peerhood" ./cmd/peerhood
  PH="$H/peerhood"
fi
TICK=$(getconf CLK_TCK)
cpu() { awk -v t="$TICK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
now() { date +%s.%N; }
quiet() { for _ in $(seq 60); do awk -v q="$QUIET_LOAD" '{ exit !($1 < q) }' /proc/loadavg && return; sleep 1; done; }

mkdir -p "$W/share/small" "$W/dst"
for i in $(seq 0 $((SMALL_FILES - 1))); do
  d="$W/share/small/d$((i % 10))"; mkdir -p "$d"
  head -c 4096 /dev/urandom >"$d/f$i.txt"
done
cp -r "$W/share/small" "$W/src"

start_node() { # name -> pid in NODEPID
  "$PH" up --home "$H/$1" --name "$1" --listen /ip4/127.0.0.1/tcp/0 --log-level warn >"$H/$1.log" 2>&1 &
  NODEPID=$!
  pids+=($NODEPID)
  for _ in $(seq 200); do "$PH" --home "$H/$1" status >/dev/null 2>&1 && return; sleep 0.05; done
  echo "node $1 did not start: $(cat "$H/$1.log")" >&2; exit 1
}
PEERHOOD_WEBDAV_ADDR=off start_node alpha; APID=$NODEPID
PEERHOOD_WEBDAV_ADDR=off start_node bravo; BPID=$NODEPID
"$PH" --home "$H/alpha" workgroup create bench >/dev/null
TOKEN=$("$PH" --home "$H/alpha" invite | head -1)
"$PH" --home "$H/bravo" join "$TOKEN" >/dev/null
"$PH" --home "$H/alpha" share add data "$W/share" --allow '*=rw' >/dev/null
"$PH" --home "$H/bravo" ls alpha: >/dev/null

mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$H/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$H/userkey"
printf '%s\n' "Port ${SSH_PORT:-22024}" "ListenAddress 127.0.0.1" "HostKey $H/hostkey" "PermitRootLogin yes" \
  "AuthorizedKeysFile $H/userkey.pub" "PasswordAuthentication no" "UsePAM no" "StrictModes no" "PidFile $H/sshd.pid" >"$H/sshd_config"
/usr/sbin/sshd -D -f "$H/sshd_config" &
pids+=($!)
sleep 0.5
RSH="ssh -q -c aes128-gcm@openssh.com -p ${SSH_PORT:-22024} -i $H/userkey -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"

ph_tget() { rm -rf "$W/dst/ph"; "$PH" --home "$H/bravo" get -r alpha:data/small "$W/dst/ph" >/dev/null; }
ph_tput() { "$PH" --home "$H/bravo" rm -r alpha:data/tput >/dev/null 2>&1 || true; "$PH" --home "$H/bravo" put -r "$W/src" alpha:data/tput >/dev/null; }
rs_tget() { rm -rf "$W/dst/rs"; rsync -a -e "$RSH" "root@127.0.0.1:$W/share/small/" "$W/dst/rs/"; }
rs_tput() { rm -rf "$W/share/rs"; rsync -a -e "$RSH" "$W/src/" "root@127.0.0.1:$W/share/rs/"; }

declare -A T C # seconds; CPU-s "sharing/asking" per round
run() { # NAME CMD: times CMD as a whole process; for peerhood, the daemons' CPU
  local n=$1 t0 a0 b0; shift
  a0=$(cpu "$APID"); b0=$(cpu "$BPID"); t0=$(now)
  "$@"
  T[$n]="${T[$n]:-} $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')"
  C[$n]="${C[$n]:-} $(awk -v a0="$a0" -v a1="$(cpu "$APID")" -v b0="$b0" -v b1="$(cpu "$BPID")" 'BEGIN { printf "%.2f/%.2f", a1 - a0, b1 - b0 }')"
}
best() { tr ' ' '\n' <<<"${T[$1]}" | grep . | sort -g | head -1; }
median() { tr ' ' '\n' <<<"${T[$1]}" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

ph_tget; diff -r "$W/share/small" "$W/dst/ph" >/dev/null || { echo "peerhood get -r: copy differs" >&2; exit 1; }
ph_tput; diff -r "$W/src" "$W/share/tput" >/dev/null || { echo "peerhood put -r: copy differs" >&2; exit 1; }
for r in $(seq "$RUNS"); do
  quiet
  echo "round $r/$RUNS, load $(cut -d' ' -f1-3 /proc/loadavg)"
  run ph_tget ph_tget; run rs_tget rs_tget
  run ph_tput ph_tput; run rs_tput rs_tput
done
echo
echo "folder of $SMALL_FILES x 4 KiB files in 10 folders, files in $BASE, $(nproc) cores, load now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seconds best / median         get -r            put -r"
for t in ph rs; do printf "  %-24s %6s / %-6s   %6s / %-6s\n" "$([ $t = ph ] && echo peerhood || echo 'rsync over ssh')" "$(best ${t}_tget)" "$(median ${t}_tget)" "$(best ${t}_tput)" "$(median ${t}_tput)"; done
echo "  peerhood CPU-s per round, sharing/asking node: get -r${C[ph_tget]}; put -r${C[ph_tput]}"
echo "  peerhood / rsync over ssh: get -r $(ratio "$(best rs_tget)" "$(best ph_tget)")x ($(ratio "$(median rs_tget)" "$(median ph_tget)")x)  put -r $(ratio "$(best rs_tput)" "$(best ph_tput)")x ($(ratio "$(median rs_tput)" "$(median ph_tput)")x)   best (median), goal >= 1.5"
if [ -n "${STRACE:-}" ]; then # syscalls of the sharing node during one put -r and one get -r
  for op in ph_tput ph_tget; do
    strace -c -f -p "$APID" -o "$H/strace-$op" 2>/dev/null & SP=$!
    sleep 0.5; "$op"; sleep 0.2
    kill -INT "$SP"; wait "$SP" 2>/dev/null || true
    echo "--- strace -c of the sharing node during one $op"
    head -16 "$H/strace-$op"
  done
fi
