#!/usr/bin/env bash
# CPU cost of peerhood's transfers, robust on a busy machine: two nodes on
# 127.0.0.1 move a SIZE_MB file (get and put, first send and repeated)
# and a folder of SMALL_FILES x 4 KiB files in 10 subfolders (get -r and
# put -r), ROUNDS rounds interleaved; for every operation it prints the
# wall time and the CPU seconds (user+system, /proc/PID/stat) each daemon
# spent, per GiB for the large file. bench/rawstream -cpu runs in the
# same rounds: the bare libp2p stream's CPU-s/GiB is the floor.
#
#   bench/sharecpu.sh                    # SIZE_MB=512 ROUNDS=3 BENCH_DIR=/dev/shm
#   PH=/path/to/peerhood bench/sharecpu.sh   # measure another build
#   PROFILE=1 bench/sharecpu.sh          # also a CPU profile of both nodes during a get and a put
#   PROFILE_DIR=/tmp/p PROFILE=1 ...     # keep the profiles (alpha-ph_get.prof ...) and the binary there
#   SMALL_FILES=0 bench/sharecpu.sh      # the large file only
#   SMALL_FILES=0 FIRST=0 STREAMS=0 OPS="ph_put dav_put" bench/sharecpu.sh   # quick: WebDAV PUT against put only
#
# Each line also gives the CPU-s/GiB of the client process (the CLI, or
# curl for WebDAV: a third process on the same cores).
#
# The floor line is bench/rawstream carrying the same file with only the
# work a verified transfer cannot skip (pread, BLAKE3 at the receiver,
# write, fdatasync), in the same round.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-512}
ROUNDS=${ROUNDS:-3}
SMALL_FILES=${SMALL_FILES:-2000}
OPS=${OPS:-ph_get ph_put dav_get dav_put} # the large-file operations of each round
FIRST=${FIRST:-1}                          # 0: no first-send get and put
STREAMS=${STREAMS:-1}                      # 0: no bare stream and floor lines
BASE=${BENCH_DIR:-/dev/shm}
W=$(mktemp -d "$BASE/phcpu.XXXXXX")
H=$(mktemp -d /tmp/phc.XXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W" "$H"
}
trap cleanup EXIT

if [ -z "${PH:-}" ]; then
  go build -o "$H/peerhood" ./cmd/peerhood
  PH="$H/peerhood"
fi
go build -o "$H/rawstream" ./bench/rawstream
TICK=$(getconf CLK_TCK)
cpu() { awk -v t="$TICK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
kids() { awk -v t="$TICK" '{ printf "%.2f", ($16 + $17) / t }' "/proc/$$/stat"; } # the clients run (waited for)
now() { date +%s.%N; }

mkdir -p "$W/src" "$W/share" "$W/dst"
head -c $((SIZE_MB << 20)) /dev/urandom >"$W/src/big.bin"
cp "$W/src/big.bin" "$W/share/big.bin"
mkdir -p "$W/share/small"
for i in $(seq 0 $((SMALL_FILES - 1))); do
  [ "$SMALL_FILES" -gt 0 ] || break
  d="$W/share/small/d$((i % 10))"; mkdir -p "$d"
  head -c 4096 /dev/urandom >"$d/f$i.txt"
done
cp -r "$W/share/small" "$W/src/small"

DAVPORT=${DAVPORT:-14318}
start_node() { # name webdav-addr -> pid in NODEPID
  PEERHOOD_WEBDAV_ADDR=$2 "$PH" up --home "$H/$1" --name "$1" --listen /ip4/127.0.0.1/tcp/0 --log-level warn >"$H/$1.log" 2>&1 &
  NODEPID=$!
  pids+=($NODEPID)
  for _ in $(seq 200); do "$PH" --home "$H/$1" status >/dev/null 2>&1 && return; sleep 0.05; done
  echo "node $1 did not start: $(cat "$H/$1.log")" >&2; exit 1
}
start_node alpha off; APID=$NODEPID
start_node bravo "127.0.0.1:$DAVPORT"; BPID=$NODEPID
"$PH" --home "$H/alpha" workgroup create bench >/dev/null
TOKEN=$("$PH" --home "$H/alpha" invite | head -1)
"$PH" --home "$H/bravo" join "$TOKEN" >/dev/null
"$PH" --home "$H/alpha" share add data "$W/share" --allow '*=rw' >/dev/null
"$PH" --home "$H/bravo" ls alpha: >/dev/null

# rsync over ssh (aes128-gcm) for the folder test, when installed: sshd
# on a loopback port with throwaway keys.
RSYNC=""
if command -v rsync >/dev/null && [ -x /usr/sbin/sshd ]; then
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$H/hostkey"
  ssh-keygen -q -t ed25519 -N '' -f "$H/userkey"
  printf '%s\n' "Port 22023" "ListenAddress 127.0.0.1" "HostKey $H/hostkey" "PermitRootLogin yes" \
    "AuthorizedKeysFile $H/userkey.pub" "PasswordAuthentication no" "UsePAM no" "StrictModes no" "PidFile $H/sshd.pid" >"$H/sshd_config"
  /usr/sbin/sshd -D -f "$H/sshd_config" &
  pids+=($!)
  sleep 0.5
  RSYNC="ssh -q -c aes128-gcm@openssh.com -p 22023 -i $H/userkey -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
fi
rs_tget() { rm -rf "$W/dst/rs-small"; rsync -a -e "$RSYNC" "root@127.0.0.1:$W/share/small/" "$W/dst/rs-small/"; }
rs_tput() { rm -rf "$W/share/rs-small"; rsync -a -e "$RSYNC" "$W/src/small/" "root@127.0.0.1:$W/share/rs-small/"; }

# measure LABEL GIB CMD...: wall seconds and CPU of alpha (sharing node),
# bravo (the node the CLI asks, or the WebDAV gateway) and the client
# process, per GiB when GIB > 0.
measure() {
  local label=$1 gib=$2; shift 2
  local a0 b0 k0 t0 t1 a1 b1 k1
  a0=$(cpu "$APID"); b0=$(cpu "$BPID"); k0=$(kids); t0=$(now)
  "$@"
  t1=$(now); a1=$(cpu "$APID"); b1=$(cpu "$BPID"); k1=$(kids)
  awk -v l="$label" -v g="$gib" -v t0="$t0" -v t1="$t1" -v a="$(awk -v x="$a0" -v y="$a1" 'BEGIN{print y-x}')" \
    -v b="$(awk -v x="$b0" -v y="$b1" 'BEGIN{print y-x}')" -v k="$(awk -v x="$k0" -v y="$k1" 'BEGIN{print y-x}')" \
    -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    s = t1 - t0
    if (g > 0) printf "%-22s %7.3f s %6.0f MB/s  CPU-s/GiB sharing node %.2f, asking node %.2f, client %.2f  (load %s)\n", l, s, g * 1073.741824 / s, a / g, b / g, k / g, load
    else printf "%-22s %7.3f s  CPU-s sharing node %.2f, asking node %.2f, client %.2f  (load %s)\n", l, s, a, b, k, load }'
}
GIB=$(awk -v m="$SIZE_MB" 'BEGIN { print m / 1024 }')
ph_get() { rm -f "$W/dst/get.bin"; "$PH" --home "$H/bravo" get alpha:data/big.bin "$W/dst/get.bin" >/dev/null; }
ph_put() { rm -f "$W/share/put.bin"; "$PH" --home "$H/bravo" put "$W/src/big.bin" alpha:data/put.bin >/dev/null; }
# WebDAV through bravo's gateway (alpha's share, verified end to end).
DAV="http://127.0.0.1:$DAVPORT/alpha/data"
dav_get() { curl -sf -u "peerhood:$(cat "$H/bravo/webdav.token")" -o "$W/dst/dav.bin" "$DAV/big.bin"; }
dav_put() { curl -sf -u "peerhood:$(cat "$H/bravo/webdav.token")" -T "$W/src/big.bin" "$DAV/davput.bin" -o /dev/null; }
ph_tget() { rm -rf "$W/dst/small"; "$PH" --home "$H/bravo" get -r alpha:data/small "$W/dst/small" >/dev/null; }
ph_tput() { "$PH" --home "$H/bravo" rm -r alpha:data/tput >/dev/null 2>&1 || true; "$PH" --home "$H/bravo" put -r "$W/src/small" alpha:data/tput >/dev/null; }

echo "peerhood $("$PH" version 2>/dev/null | head -1), ${SIZE_MB} MiB file, $SMALL_FILES small files, files in $BASE, $(nproc) cores"
if [ "$FIRST" != 0 ]; then
  echo "--- first send (the sender hashes while it reads)"
  measure "get, first send" "$GIB" ph_get
  cmp -s "$W/src/big.bin" "$W/dst/get.bin" || { echo "get: copy differs" >&2; exit 1; }
  measure "put, first send" "$GIB" ph_put
  cmp -s "$W/src/big.bin" "$W/share/put.bin" || { echo "put: copy differs" >&2; exit 1; }
else # a put to remember the digest: the rounds' puts are repeated sends
  ph_put
fi
declare -A LABEL=([ph_get]="get" [ph_put]="put" [dav_get]="WebDAV GET (gateway)" [dav_put]="WebDAV PUT (gateway)")
for r in $(seq "$ROUNDS"); do
  echo "--- round $r"
  for op in $OPS; do measure "${LABEL[$op]}" "$GIB" "$op"; done
  if [ "$SMALL_FILES" -gt 0 ]; then
    measure "get -r small files" 0 ph_tget
    measure "put -r small files" 0 ph_tput
  fi
  if [ -n "$RSYNC" ] && [ "$SMALL_FILES" -gt 0 ]; then
    t0=$(now); rs_tget; t1=$(now); rs_tput; t2=$(now)
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%-22s %7.3f s get, %.3f s put (whole processes)\n", "rsync over ssh", b - a, c - b }'
  fi
  [ "$STREAMS" != 0 ] || continue
  read -r mbs scpu rcpu < <("$H/rawstream" -mib "$SIZE_MB" -cpu)
  printf "%-22s %9s %6s MB/s  CPU-s/GiB sender %.2f, receiver %.2f\n" "bare libp2p stream" "" "$mbs" "$scpu" "$rcpu"
  read -r mbs scpu rcpu < <("$H/rawstream" -src "$W/src/big.bin" -dst "$W/dst/floor.bin" -cpu)
  printf "%-22s %9s %6s MB/s  CPU-s/GiB sender %.2f, receiver %.2f\n" "floor (stream+file)" "" "$mbs" "$scpu" "$rcpu"
  rm -f "$W/dst/floor.bin"
done
[ "$ROUNDS" -eq 0 ] || [[ " $OPS " != *" dav_get "* ]] || cmp -s "$W/src/big.bin" "$W/dst/dav.bin" || { echo "WebDAV GET: copy differs" >&2; exit 1; }
[ "$ROUNDS" -eq 0 ] || [[ " $OPS " != *" dav_put "* ]] || cmp -s "$W/src/big.bin" "$W/share/davput.bin" || { echo "WebDAV PUT: copy differs" >&2; exit 1; }
[ "$ROUNDS" -eq 0 ] || [ "$SMALL_FILES" -eq 0 ] || diff -r "$W/share/small" "$W/dst/small" >/dev/null || { echo "get -r: copy differs" >&2; exit 1; }

if [ -n "${PROFILE:-}" ]; then
  PD=${PROFILE_DIR:-$H}; mkdir -p "$PD"; [ "$PD" = "$H" ] || cp "$PH" "$PD/peerhood"
  prof() { curl -s --unix-socket "$H/$1/control.sock" "http://peerhood/debug/pprof/profile?seconds=$2" >"$PD/$1-$3.prof"; }
  for op in ${PROFILE_OPS:-ph_get ph_put ph_tput}; do
    prof alpha 6 "$op" & p1=$!; prof bravo 6 "$op" & p2=$!
    sleep 0.3
    end=$(($(date +%s) + 5)); while [ "$(date +%s)" -lt "$end" ]; do "$op"; done
    wait $p1 $p2
    for n in alpha bravo; do
      echo "--- profile of $n during repeated ${op}s (top by flat time)"
      go tool pprof -top -nodecount=${PROFILE_NODES:-25} ${PROFILE_FLAGS:-} "$PH" "$PD/$n-$op.prof" 2>/dev/null | sed -n '1,32p'
    done
  done
fi
