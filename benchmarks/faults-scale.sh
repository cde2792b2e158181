#!/usr/bin/env bash
# The cost of faults on a big cluster (issue 22): NODES real nodes up, then the time of
# `fault partition` cutting the second half of the nodes off from the first (the master's
# half), of `fault heal`, and of a delay on one node and its heal, each as the user types it
# (the tool's whole command: its start, the roles' read, nft, iptables, the delay program).
# Needs ./eng/setup.sh first. Usage: benchmarks/faults-scale.sh [NODES]
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
nodes=${1:-250}
bench_work vfs
$tool generate --root "$work/c" --nodes "$nodes" >/dev/null
start=$(date +%s.%N); $tool up $m >/dev/null; echo "up of $nodes nodes: $(since "$start") s"
half=$(seq $((nodes / 2 + 1)) "$nodes" | sed 's/^/node/' | paste -sd ' ')
timed() { local start; start=$(date +%s.%N); "$@" >/dev/null; echo "$(since "$start")"; }
for round in 1 2 3; do
  echo "round $round: partition of $((nodes - nodes / 2)) nodes from $((nodes / 2)): $(timed $tool fault partition $half $m) s;" \
       "heal: $(timed $tool fault heal $m) s;" \
       "delay node$nodes 100 ms: $(timed $tool fault delay "node$nodes" 100 $m) s; heal: $(timed $tool fault heal $m) s"
done
echo "rules: $(wc -c < "$work/c/.state/run/faults.nft") bytes in the last ruleset"
