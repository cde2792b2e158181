#!/usr/bin/env bash
# Instance creation throughput (docs/benchmarks.md): on a fresh NODES-node cluster, create
# diskless instances (fake hypervisor, 128 MiB, placed by hail) in batches submitted in
# parallel with `gnt-instance batch-create` (one OpInstanceMultiAlloc, then one job per
# instance), and report instances per minute for each batch. Needs ./eng/setup.sh first.
# Usage: benchmarks/instances.sh [NODES=50] [BATCHES="100 150 250"] (cumulative 100, 250, 500)
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
nodes=${1:-50}; batches=${2:-100 150 250}
total=0; for b in $batches; do total=$((total + b)); done
bench_work vci
$tool generate --root "$work/c" --nodes "$nodes" --instances "$total" --network 198.18.0.0/15 >/dev/null
start=$(date +%s.%N)
$tool up $m --timeout 1200 >/dev/null
echo "nodes=$nodes up_s=$(since "$start")"
master=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["master"])' "$work/c/vcluster.json")
first=1
for batch in $batches; do
  python3 - "$work/c/batch.json" "$first" "$batch" <<'PY'
import json, sys
path, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
json.dump([{"instance_name": "inst%d" % i, "mode": "create", "disk_template": "diskless", "disks": [],
            "nics": [], "os_type": "noop", "hypervisor": "fake", "beparams": {"memory": 128},
            "name_check": False, "ip_check": False} for i in range(first, first + count)], open(path, "w"))
PY
  start=$(date +%s.%N)
  $tool exec $m "$master" -- gnt-instance batch-create -I hail "$work/c/batch.json" > "$work/batch.log" 2>&1 || { tail -20 "$work/batch.log"; exit 1; }
  seconds=$(since "$start")
  running=$($tool exec $m "$master" -- gnt-instance list --no-headers -o status | grep -c running)
  echo "batch=$batch instances_after=$((first + batch - 1)) running=$running seconds=$seconds per_minute=$(echo "scale=1; $batch * 60 / $seconds" | bc)"
  first=$((first + batch))
done
