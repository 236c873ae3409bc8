#!/usr/bin/env bash
# Benchmarks a peerhood forward (/peerhood/tunnel/1) on loopback against
# iperf3 direct, an `ssh -L` forward (aes128-gcm) and a bare libp2p stream
# (bench/rawstream, on a node's transports and on go-libp2p's stock
# ones), all in this one run, and prints the figures and the
# ratios against the goals of issue 15:
#   throughput >= 2x ssh -L and >= 0.9x a bare libp2p stream;
#   connect-to-first-byte adds < 5 ms on loopback;
#   1,000 short HTTP requests (a new connection each) vs ssh -L.
# Not a test: run it by hand, as root (sshd), at a quiet moment:
#
#   apt-get install openssh-server openssh-client iperf3 strace linux-perf   # the last two for STRACE=1, PERF=1
#   bench/tunnel.sh          # SECS=5 per iperf3 run, N=300 first-byte probes
#   PROFILE=/tmp/prof bench/tunnel.sh   # also CPU profiles of both nodes during the forward's run, and during its HTTP requests (DIR/NODE-http.pprof)
#   STRACE=1 bench/tunnel.sh    # then one more forward and ssh -L run under strace -c: syscalls per GiB
#   PERF=1 bench/tunnel.sh      # then perf record (cpu-clock) of each: CPU-s/GiB split by crypto, copies, kernel, runtime
#   KEEP=/tmp/tb bench/tunnel.sh   # keep the work files (perf.*, strace.*, iperf JSON, node logs)
#   QUICK=1 bench/tunnel.sh     # throughput and CPU-s/GiB only (no first-byte, no HTTP)
#   PH=/path/to/peerhood bench/tunnel.sh   # measure another build of peerhood
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
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$H"/. "$KEEP"/ && echo "work files kept in $KEEP"; fi
  rm -rf "$H"
}
trap cleanup EXIT

for t in sshd ssh iperf3 ${STRACE:+strace} ${PERF:+perf}; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "missing $t: apt-get install openssh-server openssh-client iperf3" >&2; exit 1; }
done

echo "building peerhood, rawstream, tunnelbench..."
if [ -z "${PH:-}" ]; then go build -o "$H/peerhood" ./cmd/peerhood; else cp "$PH" "$H/peerhood"; fi
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
IPERF_SPID=$!
"$H/tb" serve >"$H/serve.out" &
pids+=($!)
for _ in $(seq 100); do [ -s "$H/serve.out" ] && break; sleep 0.05; done
read -r GREET HTTPD <"$H/serve.out"

# --- peerhood: alpha offers them, bravo forwards ---------------------------
start_node() { # name
  "$PH" up --home "$H/$1" --name "$1" --listen /ip4/127.0.0.1/tcp/0 --no-mdns --log-level warn >"$H/$1.log" 2>&1 &
  pids+=($!)
  NODEPID=$!
  for _ in $(seq 200); do "$PH" --home "$H/$1" status >/dev/null 2>&1 && return; sleep 0.05; done
  echo "node $1 did not start: $(cat "$H/$1.log")" >&2; exit 1
}
start_node alpha; APID=$NODEPID
start_node bravo; BPID=$NODEPID
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
SSHD_PID=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null && break; sleep 0.1; done
ssh -N -c aes128-gcm@openssh.com -p "$SSHD_PORT" -i "$H/userkey" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
  -o ExitOnForwardFailure=yes -L "$L_IPERF:127.0.0.1:$IPERF_PORT" -L "$L_GREET:$GREET" -L "$L_WEB:$HTTPD" root@127.0.0.1 &
pids+=($!)
SSH_PID=$!
ok=""
for _ in $(seq 100); do "$H/tb" firstbyte -n 1 "127.0.0.1:$L_GREET" >/dev/null 2>&1 && ok=1 && break; sleep 0.1; done
[ -n "$ok" ] || { echo "ssh -L did not come up" >&2; exit 1; }

# --- throughput ---------------------------------------------------------------
# ticks PID... -> CPU ticks (user+system) of these processes and their
# live descendants (sshd's per-session children).
ticks() {
  local t=0 p c
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    for c in $(pgrep -P "$p" || true); do t=$((t + $(ticks "$c"))); done
  done
  echo "$t"
}
TICK=$(getconf CLK_TCK)
# iperf_run NAME PORT [GROUP=PID,PID ...] -> MB/s received; writes
# "$H/cpu.NAME": GiB moved, then CPU-s/GiB of the iperf3 client (its own
# getrusage, from -J), the iperf3 server and each GROUP (/proc ticks).
iperf_run() {
  local name=$1 port=$2 g; shift 2
  local before=() after=()
  for g in "$IPERF_SPID" "$@"; do before+=("$(ticks ${g#*=} )"); done
  iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" -J >"$H/iperf.$name.json"
  for g in "$IPERF_SPID" "$@"; do after+=("$(ticks ${g#*=} )"); done
  python3 - "$H/iperf.$name.json" "$TICK" "${before[*]}" "${after[*]}" "$*" >"$H/cpu.$name" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["end"]
tick, b, a = int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
names = ["iperf3-server"] + [g.split("=")[0] for g in sys.argv[5].split()]
rx = j["sum_received"]
gib = rx["bytes"] / 2**30
cols = [("iperf3-client", j["cpu_utilization_percent"]["host_total"] / 100 * j["sum_sent"]["seconds"])]
cols += [(n, (int(y) - int(x)) / tick) for n, x, y in zip(names, b, a)]
print("%.0f" % (rx["bytes"] / rx["seconds"] / 1e6))
print("  ".join("%s %.2f" % (n, c / gib) for n, c in cols) + "  | total %.2f CPU-s/GiB" % (sum(c for _, c in cols) / gib))
PY
  head -1 "$H/cpu.$name"
}
echo "iperf3 ${SECS}s each: direct, peerhood forward, ssh -L; rawstream ${RAW_MIB} MiB..."
DIRECT=$(iperf_run direct $IPERF_PORT)
if [ -n "${PROFILE:-}" ]; then # PROFILE=DIR: CPU profiles of both nodes during the forward's iperf3 run
  mkdir -p "$PROFILE"
  for n in alpha bravo; do
    curl -s --unix-socket "$H/$n/control.sock" -o "$PROFILE/$n.pprof" "http://node/debug/pprof/profile?seconds=$((SECS - 1))" &
  done
fi
FWD=$(iperf_run forward "${F_IPERF##*:}" "bravo(using)=$BPID" "alpha(offering)=$APID")
wait_profiles() { [ -n "${PROFILE:-}" ] && sleep 1.5 && echo "profiles in $PROFILE (go tool pprof -top $H/peerhood $PROFILE/bravo.pprof)"; true; }
wait_profiles
SSHL=$(iperf_run ssh "$L_IPERF" "ssh=$SSH_PID" "sshd=$SSHD_PID")
# The bare stream on a node's own transports (what the forward rides on)
# and on go-libp2p's stock TCP+TLS+yamux.
read -r RAW RAW_SEND RAW_RECV < <("$H/rawstream" -mib "$RAW_MIB" -cpu -transport peerhood)
read -r RAWS RAWS_SEND RAWS_RECV < <("$H/rawstream" -mib "$RAW_MIB" -cpu -transport stock)

# straced NAME PORT LABEL=PID... -> syscalls per GiB of each process
# (with its threads and children), from strace -c during one more iperf3
# run (strace slows them: only the counts mean something).
straced() {
  local name=$1 port=$2 g p sts=() args; shift 2
  for g in "$@"; do
    args=()
    for p in ${g#*=} $(pgrep -P "${g#*=}" || true); do args+=(-p "$p"); done
    strace -c -f -o "$H/strace.$name.${g%%=*}" "${args[@]}" 2>/dev/null &
    sts+=($!)
  done
  sleep 0.5
  iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" -J >"$H/iperf.strace.$name.json"
  for p in "${sts[@]}"; do kill -INT "$p"; done
  wait "${sts[@]}" 2>/dev/null || true
  python3 - "$H/iperf.strace.$name.json" "$H/strace.$name" "$*" <<'PY'
import json, sys
gib = json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"] / 2**30
out = []
for label in [g.split("=")[0] for g in sys.argv[3].split()]:
    calls = {}
    for line in open(sys.argv[2] + "." + label):
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
            calls[f[-1]] = int(f[3])
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:4]
    out.append("%s %.0f (%s)" % (label, sum(calls.values()) / gib, " ".join("%s %.0f" % kv for kv in [(k, v / gib) for k, v in top])))
print("; ".join(out))
PY
}
# perfsplit NAME GIB LABEL=FILE... -> CPU-s/GiB of each process split by
# where it went (perf record -e cpu-clock samples; crypto = AES-GCM and
# friends in user space, all of OpenSSL's libcrypto for ssh, copy = memmove/memcpy, kernel-copy = the
# kernel's copies to and from sockets, kernel = the rest of the kernel:
# syscalls, TCP, wakeups; runtime = Go's scheduler, GC and locks).
perfsplit() {
  local name=$1 gib=$2 g; shift 2
  for g in "$@"; do
    perf report -i "${g#*=}" --stdio --no-children --sort dso,sym -g none -F overhead,sample,dso,sym 2>/dev/null
    echo "@@END ${g%%=*}"
  done | python3 -c '
import re, sys
gib, freq = float(sys.argv[1]), float(sys.argv[2])
b, out = {}, []
order = ["crypto", "copy", "kernel-copy", "kernel", "runtime", "other"]
for line in sys.stdin:
    if line.startswith("@@END"):
        tot = sum(b.values())
        out.append("%s %.2f (%s)" % (line.split()[1], tot / freq / gib, " ".join("%s %.2f" % (k, b.get(k, 0) / freq / gib) for k in order)))
        b = {}
        continue
    f = line.split()
    if len(f) < 5 or line.startswith("#") or not f[1].isdigit():
        continue
    n, dso, sym = int(f[1]), f[2], " ".join(f[4:])
    if dso == "[kernel.kallsyms]":
        k = "kernel-copy" if re.search(r"copy_(from|to)_iter|copy_user|rep_mov|memcpy", sym) else "kernel"
    elif "libcrypto" in dso or re.search(r"(?i)aes|gcm|ghash|chacha|poly1305|sha256|sha512|blake|edwards|x25519|curve25519", sym):
        k = "crypto"
    elif re.search(r"memmove|memcpy|memset|memclr", sym):
        k = "copy"
    elif re.search(r"^runtime\.|futex|pthread|sched_yield|epoll|__vdso", sym) or dso.startswith("[vdso]"):
        k = "runtime"
    else:
        k = "other"
    b[k] = b.get(k, 0) + n
print(sys.argv[3] + ": " + "; ".join(out))
' "$gib" "$PERF_FREQ" "$name" | sed "s/^/  /"
}
# perfed NAME PORT LABEL=PID... -> perfsplit of one more iperf3 run
perfed() {
  local name=$1 port=$2 g p pids sts=() labels=(); shift 2
  for g in "$@"; do
    pids=${g#*=}; for p in $(pgrep -P "${g#*=}" || true); do pids+=",$p"; done
    perf record -q -e cpu-clock -F "$PERF_FREQ" -p "$pids" -o "$H/perf.$name.${g%%=*}" 2>/dev/null &
    sts+=($!) labels+=("${g%%=*}=$H/perf.$name.${g%%=*}")
  done
  sleep 0.5
  iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" -J >"$H/iperf.perf.$name.json"
  for p in "${sts[@]}"; do kill -INT "$p"; done
  wait "${sts[@]}" 2>/dev/null || true
  perfsplit "$name" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"] / 2**30)' "$H/iperf.perf.$name.json")" "${labels[@]}"
}
PERF_FREQ=${PERF_FREQ:-999}
PERF_OUT=""
if [ -n "${PERF:-}" ]; then
  echo "perf record of both nodes, ssh/sshd and rawstream, one more run each..."
  PERF_OUT+=$(perfed forward "${F_IPERF##*:}" "bravo=$BPID" "alpha=$APID")$'\n'
  PERF_OUT+=$(perfed ssh "$L_IPERF" "ssh=$SSH_PID" "sshd=$SSHD_PID")$'\n'
  perf record -q -e cpu-clock -F "$PERF_FREQ" -o "$H/perf.bare" -- "$H/rawstream" -mib "$RAW_MIB" -transport peerhood >/dev/null 2>&1
  PERF_OUT+=$(perfsplit bare "$(awk -v m="$RAW_MIB" 'BEGIN { print m / 1024 }')" "sender+receiver=$H/perf.bare")
fi
SYSCALLS_FWD="" SYSCALLS_SSH=""
if [ -n "${STRACE:-}" ]; then
  echo "strace -c of both nodes and of ssh/sshd, one more run each..."
  SYSCALLS_FWD=$(straced forward "${F_IPERF##*:}" "bravo=$BPID" "alpha=$APID")
  SYSCALLS_SSH=$(straced ssh "$L_IPERF" "ssh=$SSH_PID" "sshd=$SSHD_PID")
fi

if [ -z "${QUICK:-}" ]; then
# --- connection setup: connect to first byte (median of N) -------------------
echo "first byte, $N connections each..."
FB_DIRECT=$("$H/tb" firstbyte -n "$N" "$GREET")
FB_FWD=$("$H/tb" firstbyte -n "$N" "$F_GREET")
FB_SSH=$("$H/tb" firstbyte -n "$N" "127.0.0.1:$L_GREET")

# --- 1,000 short HTTP requests, a new connection each ------------------------
echo "$REQS HTTP requests each..."
HTTP_DIRECT=$("$H/tb" http -n "$REQS" "http://$HTTPD/")
c0=$(ticks "$BPID" "$APID")
if [ -n "${PROFILE:-}" ]; then # and during the forward's HTTP requests (the first second of them)
  for n in alpha bravo; do
    curl -s --unix-socket "$H/$n/control.sock" -o "$PROFILE/$n-http.pprof" "http://node/debug/pprof/profile?seconds=1" &
  done
fi
HTTP_FWD=$("$H/tb" http -n "$REQS" "http://$F_WEB/")
c1=$(ticks "$BPID" "$APID")
c3=$(ticks "$SSH_PID" "$SSHD_PID")
HTTP_SSH=$("$H/tb" http -n "$REQS" "http://127.0.0.1:$L_WEB/")
c4=$(ticks "$SSH_PID" "$SSHD_PID")
HTTP_FWD_CPU=$(( (c1 - c0) * 1000 / TICK )) HTTP_SSH_CPU=$(( (c4 - c3) * 1000 / TICK ))
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)"
printf "%-34s %10s\n" "throughput (MB/s)" ""
printf "  %-32s %10s\n" "iperf3 direct loopback" "$DIRECT" "iperf3 through peerhood forward" "$FWD" \
  "iperf3 through ssh -L aes128-gcm" "$SSHL" "bare libp2p stream (rawstream)" "$RAW" \
  "  same, stock go-libp2p transport" "$RAWS"
printf "  %-32s %10s   (goal >= 2)\n" "forward / ssh -L" "$(ratio "$FWD" "$SSHL")"
printf "  %-32s %10s   (goal >= 0.9)\n" "forward / bare stream" "$(ratio "$FWD" "$RAW")"
printf "  %-32s %10s\n" "forward / direct" "$(ratio "$FWD" "$DIRECT")"
if [ -z "${QUICK:-}" ]; then
printf "%-34s\n" "connect to first byte (median µs)"
printf "  %-32s %10s\n" "direct" "$FB_DIRECT" "peerhood forward" "$FB_FWD" "ssh -L" "$FB_SSH"
printf "  %-32s %10s   (goal < 5000)\n" "added by the forward" "$((FB_FWD - FB_DIRECT))"
printf "%-34s\n" "$REQS HTTP requests, new connection each (ms)"
printf "  %-32s %10s\n" "direct" "$HTTP_DIRECT" "peerhood forward" "$HTTP_FWD" "ssh -L" "$HTTP_SSH"
printf "  %-32s %10s\n" "ssh -L / forward (time)" "$(ratio "$HTTP_SSH" "$HTTP_FWD")"
printf "  %-32s %10s\n" "CPU ms, both nodes (forward)" "$HTTP_FWD_CPU" "CPU ms, ssh + sshd (ssh -L)" "$HTTP_SSH_CPU"
fi
printf "%-34s\n" "CPU-s per GiB received, per process (iperf3 runs; user+system)"
for n in direct forward ssh; do printf "  %-8s %s\n" "$n" "$(sed -n 2p "$H/cpu.$n")"; done
printf "  %-8s %s\n" "bare" "rawstream-sender $RAW_SEND  rawstream-receiver $RAW_RECV  | total $(awk -v a="$RAW_SEND" -v b="$RAW_RECV" 'BEGIN { printf "%.2f", a + b }') CPU-s/GiB" \
  "stock" "rawstream-sender $RAWS_SEND  rawstream-receiver $RAWS_RECV  | total $(awk -v a="$RAWS_SEND" -v b="$RAWS_RECV" 'BEGIN { printf "%.2f", a + b }') CPU-s/GiB"
if [ -n "$SYSCALLS_FWD" ]; then
  printf "%-34s\n" "syscalls per GiB (strace -c -f, one more iperf3 run)"
  printf "  %-8s %s\n" "forward" "$SYSCALLS_FWD" "ssh" "$SYSCALLS_SSH"
fi
if [ -n "$PERF_OUT" ]; then
  printf "%-34s\n" "CPU-s per GiB by where it went (perf record -e cpu-clock, one more run each)"
  printf "%s\n" "$PERF_OUT"
fi
