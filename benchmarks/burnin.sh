#!/usr/bin/env bash
# Burnin wall time (docs/benchmarks.md): Ganeti's burnin through `dotnet vcluster burnin` with
# INSTANCES instances per template on a fresh NODES-node cluster. Needs ./eng/setup.sh first.
# Usage: benchmarks/burnin.sh [NODES=10] [INSTANCES=10] [TEMPLATES="diskless file sharedfile"]
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
nodes=${1:-10}; instances=${2:-10}; templates=${3:-diskless file sharedfile}
bench_work vcb
$tool generate --root "$work/c" --nodes "$nodes" --instances $((instances + 1)) >/dev/null
$tool up $m --timeout 900 >/dev/null
for template in $templates; do
  start=$(date +%s.%N)
  $tool burnin $m -t "$template" -n "$instances" > "$work/burnin-$template.log" 2>&1 || { tail -40 "$work/burnin-$template.log"; exit 1; }
  echo "nodes=$nodes instances=$instances template=$template burnin_s=$(since "$start")"
done
