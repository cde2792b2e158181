#!/usr/bin/env bash
# Cluster start/stop benchmarks (docs/benchmarks.md): time from `up` to a ready N-node cluster
# (fresh: init + node adds; resumed: after down), `down` time, and resident memory per node
# (sum of its daemons' VmRSS). Needs ./eng/setup.sh first. Usage: benchmarks/up.sh NODES
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
nodes=${1:-3}
bench_work vcu
network=192.0.2.0/24; [ "$nodes" -gt 200 ] && network=198.18.0.0/15
$tool generate --root "$work/c" --nodes "$nodes" --network "$network" >/dev/null

t() { local s=$(date +%s.%N); "$@" >&2 || { echo "failed: $*" >&2; exit 1; }; since "$s"; }
echo "nodes=$nodes fresh_up_s=$(t $tool up $m --timeout 600)"
rss() {
  $tool status $m --json | python3 -c '
import json, sys
status = json.load(sys.stdin)
for node in status["nodes"]:
    kb = 0
    for d in node["daemons"]:
        if d["pid"]:
            for line in open("/proc/%d/status" % d["pid"]):
                if line.startswith("VmRSS:"):
                    kb += int(line.split()[1])
    print("%s %s %.1f" % (node["name"], "master" if node["master"] else "other", kb / 1024.0))'
}
rss > "$work/rss.txt"
echo "rss_master_mb=$(awk '$2 == "master" { print $3 }' "$work/rss.txt") rss_other_node_mb_max=$(awk '$2 == "other" { print $3 }' "$work/rss.txt" | sort -n | tail -1) rss_other_node_mb_median=$(awk '$2 == "other" { print $3 }' "$work/rss.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
echo "down_s=$(t $tool down $m)"
echo "resumed_up_s=$(t $tool up $m --timeout 600)"
echo "down_s=$(t $tool down $m)"
