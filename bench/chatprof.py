#!/usr/bin/env python3
# chatprof.py: a chat member's CPU profile (bench/chat.sh PROFILE=DIR:
# DIR/mN-recv.prof) sorted into components, in us per message.
#
#   python3 bench/chatprof.py BINARY PROFILE MESSAGES
#   go tool pprof -proto BIN a.prof b.prof > merged.pb.gz   # several runs: merge first
#
# Each sample goes to the first component (in the order below) that a
# frame of its stack matches: verify, the chat validator, the events bus,
# the writer (commit / insert / the rest), the FTS indexer, chat's push
# (reading and checking frames / the writers), the SSE
# stream, gossipsub (validation, reading and decoding RPCs, sending them,
# its processLoop), yamux (send / recv loops), other services, GC and the
# scheduler. A profile at 100 Hz holds ~150 samples per 4,000 messages
# received, so one run's figures move by 20-30%: merge a few.
import subprocess, sys, re, collections
bin_, prof, msgs = sys.argv[1], sys.argv[2], float(sys.argv[3])
out = subprocess.run(["go","tool","pprof","-traces",bin_,prof],capture_output=True,text=True).stdout
# rules: (component, regex) checked against the whole stack (leaf first); first rule that matches any frame wins
rules = [
 ("ed25519 verify", r"ed25519\.Verify|\(\*msg\)\.verify|identity\.Verify"),
 ("chat validator (decode etc)", r"chat\.\(\*Service\)\.validator|chat\..*validator\.func"),
 ("events publish", r"events\.\(\*Bus\)\.Publish"),
 ("chat writer: commit", r"\(\*Tx\)\.Commit|sql\.\(\*Tx\)\.Commit"),
 ("chat writer: insert", r"chat\.insertRow|chat\.insertTx|chat\.insertNew|chat\.\(\*txq\)\.flush"),
 ("chat writer: rest", r"chat\.\(\*Service\)\.writer|chat\.\(\*Service\)\.insert"),
 ("chat fts indexer", r"chat\.\(\*Service\)\.indexer|indexPending"),
 ("chat receive", r"chat\.\(\*Service\)\.receive"),
 ("chat push: read + checks", r"chat\.\(\*Service\)\.servePush|chat\.\(\*Service\)\.readPushes|chat\.\(\*Service\)\.takePush"),
 ("chat push: write", r"chat\.\(\*pushOut\)|chat\.\(\*Service\)\.fanout|chat\.\(\*Service\)\.pushAll"),
 ("SSE stream", r"events\.\(\*Handler\)|events\.WriteEvent|events\.\(\*stream\)"),
 ("api/http other", r"net/http\.\(\*conn\)\.serve"),
 ("pubsub validate other", r"pubsub\.\(\*validation\)"),
 ("pubsub handleNewStream (read+pb decode)", r"pubsub\.\(\*PubSub\)\.handleNewStream"),
 ("pubsub sending (pb encode, write)", r"pubsub\.\(\*PubSub\)\.handleSendingMessages"),
 ("pubsub processLoop", r"pubsub\.\(\*PubSub\)\.processLoop"),
 ("pubsub other", r"go-libp2p-pubsub"),
 ("yamux send", r"yamux.*sendLoop|yamux.*\(\*Session\)\.send$"),
 ("yamux recv", r"yamux.*recvLoop|yamux.*\(\*Session\)\.recv"),
 ("yamux other", r"go-yamux"),
 ("tls other", r"crypto/tls"),
 ("presence", r"internal/presence"),
 ("spool", r"internal/spool"),
 ("mdns/discovery", r"miekg/dns|zeroconf|discovery"),
 ("libp2p other", r"go-libp2p"),
 ("GC", r"runtime\.gcBgMarkWorker|runtime\.gcAssist|runtime\.bgsweep|runtime\.bgscavenge|gcDrain|markroot"),
 ("scheduler/idle", r"runtime\.schedule|runtime\.findRunnable|runtime\.park_m|runtime\.mcall|runtime\.sysmon|runtime\.goexit0"),
 ("other", r"."),
]
crules=[(n,re.compile(r)) for n,r in rules]
tot=collections.Counter(); all_=0.0
for block in out.split("-----------+-------------------------------------------------------")[1:]:
    lines=[l for l in block.strip().split("\n") if l.strip()]
    if not lines: continue
    m=re.match(r"\s*([\d.]+)(ms|s|us)\s+(.*)",lines[0])
    if not m: continue
    v=float(m.group(1))*{"s":1,"ms":1e-3,"us":1e-6}[m.group(2)]
    frames=[m.group(3).strip()]+[l.strip() for l in lines[1:]]
    all_+=v
    for n,r in crules:
        if any(r.search(f) for f in frames):
            tot[n]+=v; break
print(f"total {all_:.2f}s = {all_/msgs*1e6:.0f} us/msg over {msgs:.0f} msgs")
for n,_ in rules:
    if tot[n]>0: print(f"  {n:45s} {tot[n]:6.2f}s {tot[n]/msgs*1e6:6.0f} us/msg {100*tot[n]/all_:5.1f}%")
