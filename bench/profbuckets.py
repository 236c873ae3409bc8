#!/usr/bin/env python3
# profbuckets.py BIN PROF [N]: the CPU samples of a (merged) profile by the
# outermost frame that names a peerhood package (else a libp2p goroutine
# loop, the TLS/yamux transport, or the Go scheduler/GC): where an idle
# node's CPU goes, by who started the work. Merge the members' profiles
# first, e.g. after `IDLE_ONLY=1 PROFILE=/tmp/idle bench/chat.sh`:
#   go tool pprof -proto /tmp/idle/m*-settled.prof > /tmp/idle/settled.merged
#   python3 bench/profbuckets.py /path/to/peerhood /tmp/idle/settled.merged
import subprocess, sys, re, collections
binp, prof = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
out = subprocess.run(["go", "tool", "pprof", "-traces", binp, prof], capture_output=True, text=True).stdout
b = collections.Counter(); total = 0
for block in out.split("-----------+-------------------------------------------------------")[1:]:
    lines = [l for l in block.strip().split("\n") if l.strip()]
    if not lines: continue
    m = re.match(r"\s*([\d.]+)(ms|s|us)\s+(.*)", lines[0])
    if not m: continue
    v = float(m.group(1)) * {"ms": 1, "s": 1000, "us": 0.001}[m.group(2)]
    frames = [m.group(3).strip()] + [l.strip() for l in lines[1:]]
    total += v
    key = None
    for f in reversed(frames):  # root first: a peerhood frame wins
        if "peerhood/internal" in f and "p2p.(*batch" not in f:
            key = f; break
    for f in reversed(frames):
        if key: break
        if re.search(r"pubsub\.\(\*(PubSub|GossipSubRouter)\)\.\w+|yamux|tls\.|swarm|identify|autonat|relay|mdns|dht|net/http\.\(\*conn\)\.serve|runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|mcall|schedule|findRunnable)", f):
            key = f; break
    if key is None: key = frames[-1]
    key = re.sub(r"^github.com/(peerhood/peerhood/internal/|libp2p/)", "", key)
    b[key] += v
print(f"total {total:.0f} ms")
for k, v in b.most_common(n):
    print(f"{v:7.0f} ms {100*v/total:5.1f}%  {k}")
