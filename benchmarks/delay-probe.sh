#!/usr/bin/env bash
# The delay mechanism issue 22 proposes, measured without root and without a cluster: in a
# user + network namespace (unshare -Urn) with two addresses on lo, as the sandbox has, an
# nft chain before iptables' mangle marks the packets between the two address sets (as the
# tool's fault table would, one way), iptables-nft's NFQUEUE target queues the marked ones,
# and benchmarks/delay-probe.c holds each for DELAY ms (+- JITTER). A TCP connect from one
# address to the other then takes one delay (its SYN; the SYN-ACK comes back at once). Needs gcc,
# libnetfilter-queue-dev, nftables and iptables. Usage: benchmarks/delay-probe.sh [CONNECTS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/delay-probe.XXXX); trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -o "$work/delayq" "$here/delay-probe.c" -lnetfilter_queue
cat > "$work/probe.py" <<'PY'
import socket, statistics, sys, threading, time
server = socket.create_server(('10.0.0.2', 7000))
threading.Thread(target=lambda: [server.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
times = []
for _ in range(int(sys.argv[1])):
    c = socket.socket(); c.bind(('10.0.0.1', 0)); t = time.monotonic(); c.connect(('10.0.0.2', 7000))
    times.append((time.monotonic() - t) * 1000); c.close()
print(f"{sys.argv[2]}: connect median {statistics.median(times):.1f} ms, min {min(times):.1f}, max {max(times):.1f}, stdev {statistics.pstdev(times):.1f} (n={len(times)})")
PY
cat > "$work/rules.nft" <<'NFT'
table inet vcluster_faults {
  set cut0 { type ipv4_addr; elements = { 10.0.0.2 } }
  set from0 { type ipv4_addr; elements = { 10.0.0.1 } }
  chain delay {
    type filter hook output priority -200; policy accept;
    ip saddr @from0 ip daddr @cut0 meta mark set 0x7c100001
  }
}
NFT
n=${1:-50}
cd "$work"
unshare -Urn sh -c "
  ip link set lo up; ip addr add 10.0.0.1/32 dev lo; ip addr add 10.0.0.2/32 dev lo
  python3 probe.py $n 'no delay'
  nft -f rules.nft
  iptables-nft -t mangle -A OUTPUT -m mark --mark 0x7c100001 -j NFQUEUE --queue-num 1 --queue-bypass
  for d in '10 0' '100 0' '100 40'; do
    set -- \$d; ./delayq 1 \$1 \$2 & pid=\$!; sleep 0.3
    python3 probe.py $n \"delay \$1 ms +- \$2 ms\"; kill \$pid; wait \$pid 2>/dev/null
  done"
