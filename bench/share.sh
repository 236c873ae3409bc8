#!/usr/bin/env bash
# Benchmarks peerhood against the tools a user would otherwise reach for,
# all on loopback in this one run, tools interleaved round by round (so a
# busy moment hits every tool alike), RUNS rounds (>= 5), best and median
# of each, the 1-minute load printed before each round:
#   - a SIZE_MB file: peerhood get/put (first send: the sender has no
#     remembered digest; repeated), WebDAV GET/PUT through a member's
#     gateway, scp (aes128-gcm), smbclient with SMB3 encryption
#     (AES-128-GCM, a smbpasswd user, checked with smbstatus) and plain,
#     one bare libp2p stream (TCP+TLS+yamux, and QUIC), iperf3, and the
#     floor: the same bare stream carrying the file with the work a
#     verified transfer cannot skip (bench/rawstream -src/-dst: pread,
#     BLAKE3 at the receiver, write, one fdatasync; the sender hashes too
#     for a first send); CPU-s/GiB of both daemons and of the client;
#   - a folder of SMALL_FILES x 4 KiB files in 10 subfolders: get -r and
#     put -r against rsync over ssh, scp -r and smbclient;
#   - listing a folder of 10,000 files, a fresh connection for each tool.
# Every tool is timed as a whole process. Not a test: run it by hand (as
# root, for sshd and smbd):
#
#   apt-get install openssh-server openssh-client rsync samba smbclient iperf3
#   bench/share.sh            # SIZE_MB=1024 RUNS=5 BENCH_DIR=/dev/shm QUIET_LOAD=1.5
#
# Files live on tmpfs by default so every tool is measured on the network
# path, not on the disk (peerhood fsyncs each received file, the others
# do not; set BENCH_DIR to a disk folder to include the disk). Before each
# round it waits up to 60 s for the load to fall under QUIET_LOAD.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-5}
QUIET_LOAD=${QUIET_LOAD:-1.5}
SMALL_FILES=${SMALL_FILES:-2000}
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

for t in sshd scp rsync smbd smbclient smbpasswd iperf3 curl; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "missing $t: apt-get install openssh-server openssh-client rsync samba smbclient iperf3 curl" >&2; exit 1; }
done

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
declare -A T # T[name]="t1 t2 ..." seconds per round
# run NAME CMD...: times one whole run of CMD into T[NAME].
run() { local n=$1 t0; shift; t0=$(now); "$@"; T[$n]="${T[$n]:-} $(secs "$t0" "$(now)")"; }
best() { tr ' ' '\n' <<<"${T[$1]}" | grep . | sort -g | head -1; }
median() { med "${T[$1]}"; }
med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# CPU seconds per GiB of the sharing node (CA), the asking node or
# gateway (CB) and the client process run (CK: the CLI, curl), per round.
declare -A CA CB CK
TICK=$(getconf CLK_TCK)
cpuof() { awk -v t="$TICK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
kids() { awk -v t="$TICK" '{ printf "%.3f", ($16 + $17) / t }' "/proc/$$/stat"; }
perg() { awk -v x="$1" -v y="$2" -v g="$GIB" 'BEGIN { printf "%.2f", (y - x) / g }'; }
# runc NAME CMD...: run, and the CPU-s/GiB each process spent.
runc() {
  local n=$1 a0 b0 k0 k1 t0 t1; shift
  a0=$(cpuof "$APID"); b0=$(cpuof "$BPID"); k0=$(kids); t0=$(now)
  "$@"
  t1=$(now); k1=$(kids)
  T[$n]="${T[$n]:-} $(secs "$t0" "$t1")"
  CA[$n]="${CA[$n]:-} $(perg "$a0" "$(cpuof "$APID")")"; CB[$n]="${CB[$n]:-} $(perg "$b0" "$(cpuof "$BPID")")"
  CK[$n]="${CK[$n]:-} $(perg "$k0" "$k1")"
}
# stream NAME ARGS...: one bench/rawstream run (timed inside it, from the
# first byte); its sender's CPU-s/GiB in CA, its receiver's in CB.
stream() {
  local n=$1 mbps s r; shift
  read -r mbps s r < <("$H/rawstream" -mib "$SIZE_MB" -cpu "$@")
  T[$n]="${T[$n]:-} $(awk -v b="$BYTES" -v m="$mbps" 'BEGIN { printf "%.3f", b / m / 1e6 }')"
  CA[$n]="${CA[$n]:-} $s"; CB[$n]="${CB[$n]:-} $r"
}
mbs() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
quiet() { for _ in $(seq 60); do awk -v q="$QUIET_LOAD" '{ exit !($1 < q) }' /proc/loadavg && return; sleep 1; done; }

echo "building peerhood..."
go build -o "$H/peerhood" ./cmd/peerhood
go build -o "$H/rawstream" ./bench/rawstream
PH="$H/peerhood"

mkdir -p "$W/src" "$W/share" "$W/share/dir10k" "$W/dst" "$W/smb"
echo "writing a ${SIZE_MB} MiB file, 10,000 empty files and $SMALL_FILES small files in $W..."
head -c $((SIZE_MB << 20)) /dev/urandom >"$W/src/big.bin"
BYTES=$(stat -c %s "$W/src/big.bin")
GIB=$(awk -v b="$BYTES" 'BEGIN { print b / 1073741824 }')
cp "$W/src/big.bin" "$W/share/big.bin"
(cd "$W/share/dir10k" && seq -f "file-%05g.txt" 0 9999 | xargs touch)
mkdir -p "$W/share/small" "$W/src/small"
for i in $(seq 0 $((SMALL_FILES - 1))); do
  d="$W/share/small/d$((i % 10))"; mkdir -p "$d"
  head -c 4096 /dev/urandom >"$d/f$i.txt"
done
cp -r "$W/share/small/." "$W/src/small/"

# --- peerhood: two nodes, one workgroup, one share; bravo's WebDAV gateway
DAVPORT=14319
start_node() { # name webdav-addr
  PEERHOOD_WEBDAV_ADDR=$2 "$PH" up --home "$H/$1" --name "$1" --listen /ip4/127.0.0.1/tcp/0 --log-level warn >"$H/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do "$PH" --home "$H/$1" status >/dev/null 2>&1 && return; sleep 0.05; done
  echo "node $1 did not start: $(cat "$H/$1.log")" >&2; exit 1
}
start_node alpha off; APID=${pids[-1]}
start_node bravo "127.0.0.1:$DAVPORT"; BPID=${pids[-1]}
"$PH" --home "$H/alpha" workgroup create bench >/dev/null
TOKEN=$("$PH" --home "$H/alpha" invite | head -1)
"$PH" --home "$H/bravo" join "$TOKEN" >/dev/null
"$PH" --home "$H/alpha" share add data "$W/share" --allow '*=rw' >/dev/null
"$PH" --home "$H/bravo" ls alpha: >/dev/null
DAVAUTH="peerhood:$(cat "$H/bravo/webdav.token")"
DAV="http://127.0.0.1:$DAVPORT/alpha/data"

ph_get() { rm -f "$W/dst/ph-get.bin"; "$PH" --home "$H/bravo" get alpha:data/big.bin "$W/dst/ph-get.bin" >/dev/null; }
ph_put() { rm -f "$W/share/ph-put.bin"; "$PH" --home "$H/bravo" put "$W/src/big.bin" alpha:data/ph-put.bin >/dev/null; }
ph_ls() { "$PH" --home "$H/bravo" ls alpha:data/dir10k --json >"$W/ls.json"; }
ph_tget() { rm -rf "$W/dst/ph-small"; "$PH" --home "$H/bravo" get -r alpha:data/small "$W/dst/ph-small" >/dev/null; }
ph_tput() { "$PH" --home "$H/bravo" rm -r alpha:data/ph-small >/dev/null 2>&1 || true; "$PH" --home "$H/bravo" put -r "$W/src/small" alpha:data/ph-small >/dev/null; }
dav_get() { rm -f "$W/dst/dav.bin"; curl -sf -u "$DAVAUTH" -o "$W/dst/dav.bin" "$DAV/big.bin"; }
dav_put() { rm -f "$W/share/dav-put.bin"; curl -sf -u "$DAVAUTH" -T "$W/src/big.bin" -o /dev/null "$DAV/dav-put.bin"; }
# A new version of a file (ctime moves) has no remembered digest: the
# sender hashes it while it reads (the first send).
fresh() { touch "$W/share/big.bin" "$W/src/big.bin"; }

# --- sshd on a loopback port (scp, rsync) ----------------------------------
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$H/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$H/userkey"
printf '%s\n' "Port 22022" "ListenAddress 127.0.0.1" "HostKey $H/hostkey" "PermitRootLogin yes" \
  "AuthorizedKeysFile $H/userkey.pub" "PasswordAuthentication no" "UsePAM no" "StrictModes no" \
  "PidFile $H/sshd.pid" "Subsystem sftp /usr/lib/openssh/sftp-server" >"$H/sshd_config"
/usr/sbin/sshd -D -f "$H/sshd_config" &
pids+=($!)
sleep 0.5
SSHOPTS=(-q -c aes128-gcm@openssh.com -i "$H/userkey" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null)
RSH="ssh ${SSHOPTS[*]} -p 22022"
scp_get() { scp "${SSHOPTS[@]}" -P 22022 "root@127.0.0.1:$W/share/big.bin" "$W/dst/scp-get.bin"; rm -f "$W/dst/scp-get.bin"; }
scp_put() { scp "${SSHOPTS[@]}" -P 22022 "$W/src/big.bin" "root@127.0.0.1:$W/share/scp-put.bin"; rm -f "$W/share/scp-put.bin"; }
scp_tget() { rm -rf "$W/dst/scp-small"; scp -r "${SSHOPTS[@]}" -P 22022 "root@127.0.0.1:$W/share/small" "$W/dst/scp-small"; }
scp_tput() { rm -rf "$W/share/scp-small"; scp -r "${SSHOPTS[@]}" -P 22022 "$W/src/small" "root@127.0.0.1:$W/share/scp-small"; }
rs_tget() { rm -rf "$W/dst/rs-small"; rsync -a -e "$RSH" "root@127.0.0.1:$W/share/small/" "$W/dst/rs-small/"; }
rs_tput() { rm -rf "$W/share/rs-small"; rsync -a -e "$RSH" "$W/src/small/" "root@127.0.0.1:$W/share/rs-small/"; }

# --- smbd on a loopback port: [data] plain, [enc] SMB3-encrypted ------------
mkdir -p "$H/smb"/{private,lock,state,cache,pid}
cat >"$H/smb.conf" <<CFG
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
  server role = standalone server
  disable spoolss = yes
  load printers = no
  server signing = disabled
  server smb encrypt = if_required
[data]
  path = $W/share
  read only = no
  valid users = root
  force user = root
[enc]
  path = $W/share
  read only = no
  valid users = root
  force user = root
  smb encrypt = required
CFG
printf 'bench\nbench\n' | smbpasswd -c "$H/smb.conf" -s -a root >/dev/null
# Its own session: smbd signals its whole process group when it stops.
setsid smbd -F --no-process-group -s "$H/smb.conf" </dev/null >/dev/null 2>&1 &
SMBD_PID=$!
SMBOPTS=(-U root%bench -p 14455 -m SMB3)
for _ in $(seq 100); do smbclient "${SMBOPTS[@]}" //127.0.0.1/data -c 'ls big.bin' >/dev/null 2>&1 && break; sleep 0.1; done
smb() { smbclient "${SMBOPTS[@]}" "//127.0.0.1/$1" -c "$2" >/dev/null 2>&1; }
smb_get() { smb data "get big.bin $W/dst/smb-get.bin"; rm -f "$W/dst/smb-get.bin"; }
smb_put() { smb data "put $W/src/big.bin smb-put.bin"; rm -f "$W/share/smb-put.bin"; }
smbe_get() { smb enc "get big.bin $W/dst/smbe-get.bin"; rm -f "$W/dst/smbe-get.bin"; }
smbe_put() { smb enc "put $W/src/big.bin smbe-put.bin"; rm -f "$W/share/smbe-put.bin"; }
smb_ls() { smb data 'cd dir10k; ls'; }
smb_tget() { rm -rf "$W/dst/smb-small"; mkdir -p "$W/dst/smb-small"; smb data "prompt OFF; recurse ON; lcd $W/dst/smb-small; mget small"; }
smb_tput() { rm -rf "$W/share/smb-small"; smb data "prompt OFF; recurse ON; lcd $W/src; mkdir smb-small; cd smb-small; lcd small; mput *"; }
# The encrypted share really encrypts: smbstatus lists the session's
# encryption while a get runs.
smb enc "get big.bin $W/dst/check.bin" & CHECK=$!
ENC=""
while [ -z "$ENC" ] && kill -0 "$CHECK" 2>/dev/null; do
  ENC=$(smbstatus -s "$H/smb.conf" 2>/dev/null | grep -oE 'AES-[0-9]+-(GCM|CCM)' | head -1 || true)
  sleep 0.05
done
wait "$CHECK" || true; rm -f "$W/dst/check.bin"
[ -n "$ENC" ] || ENC="(not shown)"

# --- correctness first ---------------------------------------------------
ph_get; cmp -s "$W/src/big.bin" "$W/dst/ph-get.bin" || { echo "peerhood get: copy differs" >&2; exit 1; }
dav_get; cmp -s "$W/src/big.bin" "$W/dst/dav.bin" || { echo "WebDAV GET: copy differs" >&2; exit 1; }
ph_tget; diff -r "$W/share/small" "$W/dst/ph-small" >/dev/null || { echo "peerhood get -r: copy differs" >&2; exit 1; }
ph_ls; [ "$(grep -c '"name"' "$W/ls.json")" -eq 10000 ] || { echo "peerhood ls: wrong count" >&2; exit 1; }
smb_get

# --- rounds ----------------------------------------------------------------
for r in $(seq "$RUNS"); do
  quiet
  echo "round $r/$RUNS, load $(cut -d' ' -f1-3 /proc/loadavg)"
  fresh; runc ph_get_first ph_get; runc ph_put_first ph_put
  runc ph_get ph_get; runc ph_put ph_put
  runc dav_get dav_get; runc dav_put dav_put
  run scp_get scp_get; run scp_put scp_put
  run smbe_get smbe_get; run smbe_put smbe_put
  run smb_get smb_get; run smb_put smb_put
  stream raw; stream rawquic -quic
  stream floor -src "$W/share/big.bin" -dst "$W/dst/floor.bin"
  stream floor_first -src "$W/share/big.bin" -dst "$W/dst/floor.bin" -hash-send; rm -f "$W/dst/floor.bin"
  run ph_tget ph_tget; run ph_tput ph_tput
  run rs_tget rs_tget; run rs_tput rs_tput
  run scp_tget scp_tget; run scp_tput scp_tput
  run smb_tget smb_tget; run smb_tput smb_tput
  run ph_ls ph_ls; run smb_ls smb_ls
done

# --- iperf3 raw TCP (once) ----------------------------------------------------
iperf3 -s -p 15201 -1 >/dev/null 2>&1 &
pids+=($!)
sleep 0.3
IPERF=$(iperf3 -c 127.0.0.1 -p 15201 -t 5 -J | awk -F: '/"sum_received"/ {f=1} f && /"bits_per_second"/ {gsub(/[ ,]/, "", $2); printf "%.0f", $2 / 8 / 1e6; exit}')

# --- report -------------------------------------------------------------------
line() { # label get-key put-key
  local g="" p=""
  g="$(mbs "$(best "$2")") / $(mbs "$(median "$2")")"
  [ -n "$3" ] && p="$(mbs "$(best "$3")") / $(mbs "$(median "$3")")"
  printf "%-40s %13s %13s\n" "$1" "$g" "$p"
}
rb() { ratio "$(best "$2")" "$(best "$1")"; }   # speed ratio of $1 over $2, best
rm_() { ratio "$(median "$2")" "$(median "$1")"; } # the same, median
echo
echo "loopback, ${SIZE_MB} MiB file, $RUNS interleaved rounds, files in $BASE, $(nproc) cores, load now $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-40s %13s %13s\n" "MB/s (best / median)" "get" "put"
line "peerhood, repeated send" ph_get ph_put
line "peerhood, first send" ph_get_first ph_put_first
line "WebDAV through the member's gateway" dav_get dav_put
line "smbclient SMB3 encrypted ($ENC)" smbe_get smbe_put
line "smbclient plain" smb_get smb_put
line "scp aes128-gcm" scp_get scp_put
line "bare libp2p stream TCP+TLS+yamux" raw ""
line "bare libp2p stream QUIC" rawquic ""
line "floor: bare stream + file, BLAKE3 (rx)" floor ""
line "floor, first send (BLAKE3 at both ends)" floor_first ""
printf "%-40s %13s\n" "iperf3 raw TCP (once)" "$IPERF"
echo
echo "ratios, best (median):"
for k in "get ph_get" "put ph_put" "first-get ph_get_first" "first-put ph_put_first"; do
  set -- $k; op=${2#ph_}; op=${op%_first}
  echo "  $1: peerhood / smb3-encrypted $(rb "$2" "smbe_$op")x ($(rm_ "$2" "smbe_$op")x, goal >= 1.0)  / scp $(rb "$2" "scp_$op")x ($(rm_ "$2" "scp_$op")x, goal >= 1.5)  / bare libp2p $(rb "$2" raw)x ($(rm_ "$2" raw)x, goal >= 0.9)"
done
echo "  WebDAV / peerhood: GET $(rb dav_get ph_get)x ($(rm_ dav_get ph_get)x)  PUT $(rb dav_put ph_put)x ($(rm_ dav_put ph_put)x)   (goal >= 0.9)"
echo "  WebDAV PUT / first put (a PUT body is always a first send: the gateway hashes it): $(rb dav_put ph_put_first)x ($(rm_ dav_put ph_put_first)x)"
echo "  peerhood / floor (the bare stream carrying the file with the work a verified copy cannot skip):"
echo "    get $(rb ph_get floor)x ($(rm_ ph_get floor)x)  put $(rb ph_put floor)x ($(rm_ ph_put floor)x)  first-get $(rb ph_get_first floor_first)x ($(rm_ ph_get_first floor_first)x)  first-put $(rb ph_put_first floor_first)x ($(rm_ ph_put_first floor_first)x)"
echo "  floor / bare libp2p stream: $(rb floor raw)x ($(rm_ floor raw)x), first send $(rb floor_first raw)x ($(rm_ floor_first raw)x)"
echo "  QUIC / TCP bare libp2p stream: $(rb rawquic raw)x ($(rm_ rawquic raw)x)"
echo
echo "CPU-s/GiB, median of the rounds: sharing node / asking node (or gateway) / client process; streams: sender / receiver"
for k in ph_get ph_put ph_get_first ph_put_first dav_get dav_put; do
  printf "  %-14s %5s / %5s / %5s\n" "$k" "$(med "${CA[$k]}")" "$(med "${CB[$k]}")" "$(med "${CK[$k]}")"
done
for k in floor floor_first raw rawquic; do printf "  %-14s %5s / %5s\n" "$k" "$(med "${CA[$k]}")" "$(med "${CB[$k]}")"; done
echo
echo "folder of $SMALL_FILES x 4 KiB files in 10 folders, seconds best / median (get -r, put -r):"
for t in ph rs scp smb; do printf "  %-9s %s / %s   %s / %s\n" "$t" "$(best ${t}_tget)" "$(median ${t}_tget)" "$(best ${t}_tput)" "$(median ${t}_tput)"; done
echo "  peerhood / rsync over ssh: get -r $(rb ph_tget rs_tget)x ($(rm_ ph_tget rs_tget)x)  put -r $(rb ph_tput rs_tput)x ($(rm_ ph_tput rs_tput)x)   (goal >= 1.5)"
echo "list 10,000 files (fresh connection, whole process), best / median: peerhood $(best ph_ls) / $(median ph_ls) s, smbclient $(best smb_ls) / $(median smb_ls) s"
