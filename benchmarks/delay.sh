#!/usr/bin/env bash
# The precision of `fault delay` (issue 22) on a 3-node cluster: for each requested delay
# (one way, what node1 sends node3: `fault delay node3 MS --from node1 --one-way`), CONNECTS
# TCP connections from node1's address to node3's noded, each taking one delay (its SYN; the
# SYN-ACK comes back at once), on the idle machine and with both cores busy (two busy loops
# beside the cluster). Then the time of `gnt-cluster verify` with node3 delayed 0, 10 and 100 ms
# each way. Needs ./eng/setup.sh first. Usage: benchmarks/delay.sh [CONNECTS]
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
connects=${1:-50}
bench_work vdl
$tool generate --root "$work/c" --nodes 3 >/dev/null
$tool up $m >/dev/null
address() { $tool status $m --json | python3 -c 'import json, sys; print([n["address"] for n in json.load(sys.stdin)["nodes"] if n["name"] == sys.argv[1]][0])' "$1"; }
node1=$(address node1); node3=$(address node3)
measure() {
  $tool exec $m node1 -- python3 -c "
import socket, statistics, time
ts = []
for _ in range($connects):
    c = socket.socket(); c.bind(('$node1', 0)); t = time.monotonic(); c.connect(('$node3', 1811))
    ts.append((time.monotonic() - t) * 1000); c.close()
print(f'median {statistics.median(ts):.1f} ms, min {min(ts):.1f}, max {max(ts):.1f}, stdev {statistics.pstdev(ts):.1f} (n={len(ts)})')"
}
busy=()
for load in idle loaded; do
  if [ "$load" = loaded ]; then for _ in 1 2; do sh -c 'while :; do :; done' & busy+=($!); done; fi
  echo "$load: no delay: $(measure)"
  for spec in "10" "100" "100 --jitter 40"; do
    $tool fault delay node3 $spec --from node1 --one-way $m >/dev/null
    echo "$load: delay $spec ms: $(measure)"
    $tool fault heal $m >/dev/null
  done
  if [ "$load" = loaded ]; then kill "${busy[@]}"; fi
done
for ms in 0 10 100; do
  [ "$ms" = 0 ] || $tool fault delay node3 "$ms" $m >/dev/null
  start=$(date +%s.%N)
  $tool verify $m >/dev/null
  echo "verify with node3 delayed $ms ms each way: $(since "$start") s"
  [ "$ms" = 0 ] || $tool fault heal $m >/dev/null
done
