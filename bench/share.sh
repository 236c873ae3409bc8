#!/usr/bin/env bash
# Benchmarks peerhood get/put of a 1 GiB file and the listing of a folder
# of 10,000 files on loopback, against scp (aes128-gcm), smbclient
# against smbd, and iperf3's raw TCP, all in this one run. Prints MB/s and
# ratios. Not a test: run it by hand (as root, for sshd and smbd):
#
#   apt-get install openssh-server openssh-client samba smbclient iperf3
#   bench/share.sh            # BENCH_DIR (default /dev/shm) holds the files
#
# Files live on tmpfs by default so every tool is measured on the network
# path, not on the disk (peerhood fsyncs each received file, the others
# do not; set BENCH_DIR to a disk folder to include the disk).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-1024}
BASE=${BENCH_DIR:-/dev/shm}
W=$(mktemp -d "$BASE/phbench.XXXXXX")
H=$(mktemp -d /tmp/phb.XXXX) # state folders: short paths for unix sockets
pids=()
SMBD_PID=""
cleanup() {
  [ -n "$SMBD_PID" ] && kill -- "-$SMBD_PID" 2>/dev/null || true # smbd and its children
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W" "$H"
}
trap cleanup EXIT

for t in sshd scp smbd smbclient iperf3; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "missing $t: apt-get install openssh-server openssh-client samba smbclient iperf3" >&2; exit 1; }
done

RUNS=${RUNS:-3}
now() { date +%s.%N; }
# best SECONDS_VAR CMD...: runs CMD $RUNS times, keeps the shortest time.
best() {
  local var=$1; shift
  local b="" t0 t1 d
  for _ in $(seq "$RUNS"); do
    t0=$(now); "$@"; t1=$(now)
    d=$(secs "$t0" "$t1")
    if [ -z "$b" ] || awk -v a="$d" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$d; fi
  done
  printf -v "$var" '%s' "$b"
}
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "building peerhood..."
go build -o "$H/peerhood" ./cmd/peerhood
go build -o "$H/rawstream" ./bench/rawstream
PH="$H/peerhood"

mkdir -p "$W/src" "$W/share" "$W/share/dir10k" "$W/dst" "$W/smb"
echo "writing a ${SIZE_MB} MiB file and 10,000 small files in $W..."
head -c $((SIZE_MB << 20)) /dev/urandom > "$W/src/big.bin"
BYTES=$(stat -c %s "$W/src/big.bin")
cp "$W/src/big.bin" "$W/share/big.bin"
(cd "$W/share/dir10k" && seq -f "file-%05g.txt" 0 9999 | xargs touch)
# A folder of SMALL_FILES 4 KiB files in 10 subfolders (get -r / put -r).
SMALL_FILES=${SMALL_FILES:-2000}
mkdir -p "$W/share/small" "$W/src/small"
for i in $(seq 0 $((SMALL_FILES - 1))); do
  d="$W/share/small/d$((i % 10))"; mkdir -p "$d"
  head -c 4096 /dev/urandom >"$d/f$i.txt"
done
cp -r "$W/share/small/." "$W/src/small/"

# --- peerhood: two nodes, one workgroup, one share -----------------------
start_node() { # name
  "$PH" up --home "$H/$1" --name "$1" --listen /ip4/127.0.0.1/tcp/0 --log-level warn >"$H/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do "$PH" --home "$H/$1" status >/dev/null 2>&1 && return; sleep 0.05; done
  echo "node $1 did not start: $(cat "$H/$1.log")" >&2; exit 1
}
start_node alpha
start_node bravo
"$PH" --home "$H/alpha" workgroup create bench >/dev/null
TOKEN=$("$PH" --home "$H/alpha" invite | head -1)
"$PH" --home "$H/bravo" join "$TOKEN" >/dev/null
"$PH" --home "$H/alpha" share add data "$W/share" --allow '*=rw' >/dev/null
"$PH" --home "$H/bravo" ls alpha: >/dev/null

ph_get() { rm -f "$W/dst/ph-get.bin"; "$PH" --home "$H/bravo" get alpha:data/big.bin "$W/dst/ph-get.bin" >/dev/null; }
ph_put() { rm -f "$W/share/ph-put.bin"; "$PH" --home "$H/bravo" put "$W/src/big.bin" alpha:data/ph-put.bin >/dev/null; }
ph_ls() { "$PH" --home "$H/bravo" ls alpha:data/dir10k --json >"$W/ls.json"; }
# The first get and put of a file hash it on the sending side; after that
# the sender remembers its SHA-256 (share.Digests) and only the receiver
# hashes: both are reported.
t0=$(now); ph_get; PH_GET_COLD=$(secs "$t0" "$(now)")
best PH_GET ph_get
cmp -s "$W/src/big.bin" "$W/dst/ph-get.bin" || { echo "peerhood get: copy differs" >&2; exit 1; }
rm -f "$W/dst/ph-get.bin"
t0=$(now); ph_put; PH_PUT_COLD=$(secs "$t0" "$(now)")
best PH_PUT ph_put
rm -f "$W/share/ph-put.bin"
best PH_LS ph_ls
ph_tget() { rm -rf "$W/dst/ph-small"; "$PH" --home "$H/bravo" get -r alpha:data/small "$W/dst/ph-small" >/dev/null; }
ph_tput() { "$PH" --home "$H/bravo" rm -r alpha:data/ph-small >/dev/null 2>&1 || true; "$PH" --home "$H/bravo" put -r "$W/src/small" alpha:data/ph-small >/dev/null; }
best PH_TGET ph_tget
diff -r "$W/share/small" "$W/dst/ph-small" >/dev/null || { echo "peerhood get -r: copy differs" >&2; exit 1; }
best PH_TPUT ph_tput
[ "$(grep -c '"name"' "$W/ls.json")" -eq 10000 ] || { echo "peerhood ls: wrong count" >&2; exit 1; }

# --- scp against sshd on a loopback port ----------------------------------
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$H/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$H/userkey"
cat > "$H/sshd_config" <<CFG
Port 22022
ListenAddress 127.0.0.1
HostKey $H/hostkey
PermitRootLogin yes
AuthorizedKeysFile $H/userkey.pub
PasswordAuthentication no
UsePAM no
StrictModes no
PidFile $H/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
/usr/sbin/sshd -D -f "$H/sshd_config" &
pids+=($!)
sleep 0.5
SSHOPTS=(-q -c aes128-gcm@openssh.com -P 22022 -i "$H/userkey" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null)
best SCP_GET scp "${SSHOPTS[@]}" "root@127.0.0.1:$W/share/big.bin" "$W/dst/scp-get.bin"
rm -f "$W/dst/scp-get.bin"
best SCP_PUT scp "${SSHOPTS[@]}" "$W/src/big.bin" "root@127.0.0.1:$W/share/scp-put.bin"
rm -f "$W/share/scp-put.bin"
scp_tget() { rm -rf "$W/dst/scp-small"; scp -r "${SSHOPTS[@]}" "root@127.0.0.1:$W/share/small" "$W/dst/scp-small"; }
scp_tput() { rm -rf "$W/share/scp-small"; scp -r "${SSHOPTS[@]}" "$W/src/small" "root@127.0.0.1:$W/share/scp-small"; }
best SCP_TGET scp_tget
best SCP_TPUT scp_tput

# --- smbclient against smbd on a loopback port ----------------------------
mkdir -p "$H/smb"/{private,lock,state,cache,pid}
cat > "$H/smb.conf" <<CFG
[global]
  smb ports = 14455
  interfaces = lo
  bind interfaces only = yes
  private dir = $H/smb/private
  lock directory = $H/smb/lock
  state directory = $H/smb/state
  cache directory = $H/smb/cache
  pid directory = $H/smb/pid
  log file = $H/smb/log
  map to guest = Bad User
  server role = standalone server
  disable spoolss = yes
  load printers = no
[data]
  path = $W/share
  read only = no
  guest ok = yes
  force user = root
CFG
# Its own session: smbd signals its whole process group when it stops.
setsid smbd -F --no-process-group -s "$H/smb.conf" </dev/null >/dev/null 2>&1 &
SMBD_PID=$!
for _ in $(seq 100); do smbclient -N -p 14455 //127.0.0.1/data -c 'ls big.bin' >/dev/null 2>&1 && break; sleep 0.1; done
SMB=(smbclient -N -p 14455 //127.0.0.1/data)
smb() { "${SMB[@]}" -c "$1" >/dev/null 2>&1; }
best SMB_GET smb "get big.bin $W/dst/smb-get.bin"
cmp -s "$W/src/big.bin" "$W/dst/smb-get.bin" || { echo "smbclient get failed" >&2; exit 1; }
rm -f "$W/dst/smb-get.bin"
best SMB_PUT smb "put $W/src/big.bin smb-put.bin"
rm -f "$W/share/smb-put.bin"
best SMB_LS smb 'cd dir10k; ls'
smb_tget() { rm -rf "$W/dst/smb-small"; mkdir -p "$W/dst/smb-small"; smb "prompt OFF; recurse ON; lcd $W/dst/smb-small; mget small"; }
smb_tput() { rm -rf "$W/share/smb-small"; smb "prompt OFF; recurse ON; lcd $W/src; mkdir smb-small; cd smb-small; lcd small; mput *"; }
best SMB_TGET smb_tget
best SMB_TPUT smb_tput

# --- iperf3 raw TCP --------------------------------------------------------
iperf3 -s -p 15201 -1 >/dev/null 2>&1 &
pids+=($!)
sleep 0.3
IPERF_BPS=$(iperf3 -c 127.0.0.1 -p 15201 -t 5 -J | awk -F: '/"sum_received"/ {f=1} f && /"bits_per_second"/ {gsub(/[ ,]/, "", $2); print $2; exit}')
IPERF=$(awk -v b="$IPERF_BPS" 'BEGIN { printf "%.0f", b / 8 / 1e6 }')

# --- one bare libp2p stream (TCP+TLS+yamux, two processes): the ceiling ---
RAW=0
for _ in $(seq "$RUNS"); do r=$("$H/rawstream" -mib "$SIZE_MB"); [ "$r" -gt "$RAW" ] && RAW=$r; done

PG=$(mbs "$BYTES" "$PH_GET"); PP=$(mbs "$BYTES" "$PH_PUT")
PGC=$(mbs "$BYTES" "$PH_GET_COLD"); PPC=$(mbs "$BYTES" "$PH_PUT_COLD")
SG=$(mbs "$BYTES" "$SCP_GET"); SP=$(mbs "$BYTES" "$SCP_PUT")
MG=$(mbs "$BYTES" "$SMB_GET"); MP=$(mbs "$BYTES" "$SMB_PUT")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "loopback, ${SIZE_MB} MiB file, best of $RUNS runs each, files in $BASE, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-22s %8s %8s\n" "" "get MB/s" "put MB/s"
printf "%-22s %8s %8s\n" "peerhood" "$PG" "$PP"
printf "%-22s %8s %8s\n" "peerhood first send" "$PGC" "$PPC"
printf "%-22s %8s %8s\n" "scp aes128-gcm" "$SG" "$SP"
printf "%-22s %8s %8s\n" "smbclient/smbd" "$MG" "$MP"
printf "%-22s %8s\n" "iperf3 raw TCP" "$IPERF"
printf "%-22s %8s\n" "libp2p stream (bare)" "$RAW"
echo
echo "peerhood / scp        get $(ratio "$PG" "$SG")x  put $(ratio "$PP" "$SP")x   (goal >= 3)"
echo "peerhood / smbclient  get $(ratio "$PG" "$MG")x  put $(ratio "$PP" "$MP")x   (goal >= 2)"
echo "peerhood / iperf3     get $(ratio "$PG" "$IPERF")   put $(ratio "$PP" "$IPERF")    (goal >= 0.5)"
echo "peerhood / bare libp2p get $(ratio "$PG" "$RAW")   put $(ratio "$PP" "$RAW")    (first send: get $(ratio "$PGC" "$RAW"), put $(ratio "$PPC" "$RAW"))"
echo
echo "list 10,000 files: peerhood ls ${PH_LS}s (CLI process included), smbclient ls ${SMB_LS}s (goal <= 0.2 s)"
echo "folder of $SMALL_FILES x 4 KiB files in 10 folders, seconds (get -r / put -r):"
echo "  peerhood ${PH_TGET} / ${PH_TPUT}   scp ${SCP_TGET} / ${SCP_TPUT}   smbclient ${SMB_TGET} / ${SMB_TPUT}"
