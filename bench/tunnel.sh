#!/usr/bin/env bash
# Benchmarks a peerhood forward (/peerhood/tunnel/1) on loopback against
# iperf3 direct, an `ssh -L` forward (aes128-gcm) and a bare libp2p stream
# (bench/rawstream), all in this one run, and prints the figures and the
# ratios against the goals of issue 15:
#   throughput >= 2x ssh -L and >= 0.9x a bare libp2p stream;
#   connect-to-first-byte adds < 5 ms on loopback;
#   1,000 short HTTP requests (a new connection each) vs ssh -L.
# Not a test: run it by hand, as root (sshd), at a quiet moment:
#
#   apt-get install openssh-server openssh-client iperf3
#   bench/tunnel.sh          # SECS=5 per iperf3 run, N=300 first-byte probes
#   PROFILE=/tmp/prof bench/tunnel.sh   # also CPU profiles of both nodes during the forward's run
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${SECS:-5}
N=${N:-300}
REQS=${REQS:-1000}
RAW_MIB=${RAW_MIB:-2048}
H=$(mktemp -d /tmp/phtb.XXXX) # short path: unix sockets
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$H"
}
trap cleanup EXIT

for t in sshd ssh iperf3; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "missing $t: apt-get install openssh-server openssh-client iperf3" >&2; exit 1; }
done

echo "building peerhood, rawstream, tunnelbench..."
go build -o "$H/peerhood" ./cmd/peerhood
go build -o "$H/rawstream" ./bench/rawstream
go build -o "$H/tb" ./bench/tunnelbench
PH="$H/peerhood"

# freeport prints a TCP port free on 127.0.0.1 now (other benchmarks may
# run on this machine).
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- targets: iperf3 server, a greeter and an HTTP server ------------------
IPERF_PORT=$(freeport)
iperf3 -s -p $IPERF_PORT >/dev/null 2>&1 &
pids+=($!)
"$H/tb" serve >"$H/serve.out" &
pids+=($!)
for _ in $(seq 100); do [ -s "$H/serve.out" ] && break; sleep 0.05; done
read -r GREET HTTPD <"$H/serve.out"

# --- peerhood: alpha offers them, bravo forwards ---------------------------
start_node() { # name
  "$PH" up --home "$H/$1" --name "$1" --listen /ip4/127.0.0.1/tcp/0 --no-mdns --log-level warn >"$H/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do "$PH" --home "$H/$1" status >/dev/null 2>&1 && return; sleep 0.05; done
  echo "node $1 did not start: $(cat "$H/$1.log")" >&2; exit 1
}
start_node alpha
start_node bravo
"$PH" --home "$H/alpha" workgroup create bench >/dev/null
TOKEN=$("$PH" --home "$H/alpha" invite | head -1)
"$PH" --home "$H/bravo" join "$TOKEN" >/dev/null
for s in "iperf 127.0.0.1:$IPERF_PORT" "greet $GREET" "web $HTTPD"; do
  set -- $s
  "$PH" --home "$H/alpha" service add "$1" "$2" --allow bravo >/dev/null
done
fwd() { "$PH" --home "$H/bravo" forward "alpha:$1" --json | sed -n 's/.*"local": *"\([^"]*\)".*/\1/p'; }
F_IPERF=$(fwd iperf); F_GREET=$(fwd greet); F_WEB=$(fwd web)

# --- ssh -L forwards (aes128-gcm) --------------------------------------------
mkdir -p /run/sshd
SSHD_PORT=$(freeport) L_IPERF=$(freeport) L_GREET=$(freeport) L_WEB=$(freeport)
ssh-keygen -q -t ed25519 -N '' -f "$H/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$H/userkey"
cat >"$H/sshd_config" <<CFG
ListenAddress 127.0.0.1:$SSHD_PORT
HostKey $H/hostkey
PermitRootLogin prohibit-password
AuthorizedKeysFile $H/userkey.pub
PasswordAuthentication no
UsePAM no
StrictModes no
PidFile none
CFG
/usr/sbin/sshd -D -f "$H/sshd_config" &
pids+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null && break; sleep 0.1; done
ssh -N -c aes128-gcm@openssh.com -p "$SSHD_PORT" -i "$H/userkey" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
  -o ExitOnForwardFailure=yes -L "$L_IPERF:127.0.0.1:$IPERF_PORT" -L "$L_GREET:$GREET" -L "$L_WEB:$HTTPD" root@127.0.0.1 &
pids+=($!)
ok=""
for _ in $(seq 100); do "$H/tb" firstbyte -n 1 "127.0.0.1:$L_GREET" >/dev/null 2>&1 && ok=1 && break; sleep 0.1; done
[ -n "$ok" ] || { echo "ssh -L did not come up" >&2; exit 1; }

# --- throughput ---------------------------------------------------------------
iperf_mbs() { # port -> MB/s received
  iperf3 -c 127.0.0.1 -p "$1" -t "$SECS" -J |
    awk -F: '/"sum_received"/ {f=1} f && /"bits_per_second"/ {gsub(/[ ,]/, "", $2); printf "%.0f\n", $2 / 8e6; exit}'
}
echo "iperf3 ${SECS}s each: direct, peerhood forward, ssh -L; rawstream ${RAW_MIB} MiB..."
DIRECT=$(iperf_mbs $IPERF_PORT)
if [ -n "${PROFILE:-}" ]; then # PROFILE=DIR: CPU profiles of both nodes during the forward's iperf3 run
  mkdir -p "$PROFILE"
  for n in alpha bravo; do
    curl -s --unix-socket "$H/$n/control.sock" -o "$PROFILE/$n.pprof" "http://node/debug/pprof/profile?seconds=$((SECS - 1))" &
  done
fi
FWD=$(iperf_mbs "${F_IPERF##*:}")
wait_profiles() { [ -n "${PROFILE:-}" ] && sleep 1.5 && echo "profiles in $PROFILE (go tool pprof -top $H/peerhood $PROFILE/bravo.pprof)"; true; }
wait_profiles
SSHL=$(iperf_mbs "$L_IPERF")
RAW=$("$H/rawstream" -mib "$RAW_MIB")

# --- connection setup: connect to first byte (median of N) -------------------
echo "first byte, $N connections each..."
FB_DIRECT=$("$H/tb" firstbyte -n "$N" "$GREET")
FB_FWD=$("$H/tb" firstbyte -n "$N" "$F_GREET")
FB_SSH=$("$H/tb" firstbyte -n "$N" "127.0.0.1:$L_GREET")

# --- 1,000 short HTTP requests, a new connection each ------------------------
echo "$REQS HTTP requests each..."
HTTP_DIRECT=$("$H/tb" http -n "$REQS" "http://$HTTPD/")
HTTP_FWD=$("$H/tb" http -n "$REQS" "http://$F_WEB/")
HTTP_SSH=$("$H/tb" http -n "$REQS" "http://127.0.0.1:$L_WEB/")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)"
printf "%-34s %10s\n" "throughput (MB/s)" ""
printf "  %-32s %10s\n" "iperf3 direct loopback" "$DIRECT" "iperf3 through peerhood forward" "$FWD" \
  "iperf3 through ssh -L aes128-gcm" "$SSHL" "bare libp2p stream (rawstream)" "$RAW"
printf "  %-32s %10s   (goal >= 2)\n" "forward / ssh -L" "$(ratio "$FWD" "$SSHL")"
printf "  %-32s %10s   (goal >= 0.9)\n" "forward / bare stream" "$(ratio "$FWD" "$RAW")"
printf "  %-32s %10s\n" "forward / direct" "$(ratio "$FWD" "$DIRECT")"
printf "%-34s\n" "connect to first byte (median µs)"
printf "  %-32s %10s\n" "direct" "$FB_DIRECT" "peerhood forward" "$FB_FWD" "ssh -L" "$FB_SSH"
printf "  %-32s %10s   (goal < 5000)\n" "added by the forward" "$((FB_FWD - FB_DIRECT))"
printf "%-34s\n" "$REQS HTTP requests, new connection each (ms)"
printf "  %-32s %10s\n" "direct" "$HTTP_DIRECT" "peerhood forward" "$HTTP_FWD" "ssh -L" "$HTTP_SSH"
printf "  %-32s %10s\n" "ssh -L / forward (time)" "$(ratio "$HTTP_SSH" "$HTTP_FWD")"
