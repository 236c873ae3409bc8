#!/usr/bin/env bash
# Runs peerhood's whole test suite on a fresh machine: installs what the
# tests need (Debian packages, when run as root and missing), downloads Go
# modules, checks formatting, vet and cross-builds, then runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: network namespaces (iproute2, nftables),
# real WebDAV clients (cadaver, rclone, davfs2), procps for ps, chromium
# (headless: the gateway's browser tests drive it with chromedp), systemd
# (systemd-analyze verify checks the autostart unit).
need_pkgs=(iproute2 nftables cadaver rclone davfs2 procps chromium systemd)
# Shared services (test/e2e tunnel and printer tests): sshd and ssh, IPP printer and tools, CUPS, avahi on D-Bus.
need_pkgs+=(openssh-server openssh-client cups-ipp-utils cups cups-client avahi-daemon avahi-utils dbus)
# IRC clients internal/ircgw drives against its gateway.
need_pkgs+=(ii weechat-headless irssi)
# WebDAV conformance suite internal/davfs runs against its gateway (TestLitmus, local and remote shares).
need_pkgs+=(litmus)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # A fresh VM often runs automatic updates: wait up to 5 min for apt's
    # lock instead of failing at once (exit 100), and retry a few times
    # (mirrors and the lock can both be briefly unavailable).
    apt_opts=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
    apt_retry() {
      local i
      for i in 1 2 3 4; do
        "$@" && return 0
        echo "apt: attempt $i failed: $*; retrying in $((i * 10))s" >&2
        sleep $((i * 10))
      done
      "$@"
    }
    apt_retry apt-get "${apt_opts[@]}" update -qq >/dev/null
    apt_retry apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "note: missing ${missing[*]}; tests that need them will skip" >&2
  fi
fi

# step NAME CMD...: runs CMD and prints how long it took (to stderr).
step() {
  local name=$1 t0=$SECONDS
  shift
  "$@"
  echo "-- $name: $((SECONDS - t0))s" >&2
}

step "go mod download" go mod download
unformatted=$(gofmt -l cmd internal test bench 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
step "go vet" go vet ./...
# staticcheck at an exact version (it supports Go 1.26); `go run` fetches
# it through the module proxy without touching go.mod.
step staticcheck go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
GOOS=windows step "windows build" go build ./...
GOOS=darwin step "darwin build" go build ./...

# -race on every package: the daemon, the host and the services are
# concurrent. -p 2 matches the 2-core machines CI runs on. The slowest
# packages are named first so that go test starts them first (it runs
# packages in the order given; ./... adds the rest once): e2e mostly waits
# on its node processes and overlaps the CPU-bound ones, and no long
# package is left to run alone at the end.
slow_first=(./test/e2e ./internal/spool ./internal/workgroup ./internal/presence ./internal/share)
step "go test -race" go test -race -p 2 -timeout 25m -count=1 "${slow_first[@]}" ./... "$@"
# The in-process clusters at full size (20 and 24 nodes), once, without
# -race: they test scale, and under -race (above, where they skip) the
# detector slows every goroutine 5-10x and turns them into a CPU benchmark.
# Discovery's concurrency runs under -race in its small DHT cluster test;
# chat's room convergence (restarts, a partition, an absent member) runs
# here too, its other tests under -race. The hostile member's tests
# (testnet) run here at full size (2,000 streams a protocol, the flood,
# which skips under -race) and above with 400 streams.
step "multi-node tests" go test -count=1 -timeout 10m -run 'TestCluster|TestCapKeepsMeshSparse|TestRoomsConverge|TestHostileMember' ./internal/discovery/ ./internal/chat/ ./internal/testnet/
