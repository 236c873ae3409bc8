#!/bin/sh
# bench/netns.sh CMD: CMD (run by sh, in this folder) in a network
# namespace of its own: a loopback and one bridge d0 carrying IPv4 and
# IPv6 multicast (a LAN with one machine on it), so no other node on the
# host is heard over mDNS (docs/design/records/2026-11-30-s8-idle.md).
# Needs root. E.g.
#   bench/netns.sh "IDLE_ONLY=1 MEMBERS=20 NOIRC=1 bash bench/chat.sh"
cd "$(dirname "$0")/.." || exit 1
exec unshare -n sh -c 'ip link set lo up && ip link add d0 type bridge && ip link set d0 up &&
  ip addr add 10.9.0.1/24 dev d0 && ip -6 addr add fd09::1/64 dev d0 nodad &&
  ip route add 224.0.0.0/4 dev d0 2>/dev/null; '"$*"
