#!/usr/bin/env bash
# Burnin wall time (docs/benchmarks.md): Ganeti's burnin through `dotnet vcluster burnin` with
# INSTANCES instances per template on a fresh NODES-node cluster. Needs ./eng/setup.sh first.
# Usage: benchmarks/burnin.sh [NODES=10] [INSTANCES=10] [TEMPLATES="diskless file sharedfile"]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
nodes=${1:-10}; instances=${2:-10}; templates=${3:-diskless file sharedfile}
work=$(mktemp -d /tmp/vcb.XXXX)
tool="dotnet $repo/src/VCluster.Tool/bin/Release/net10.0/dotnet-vcluster.dll"
[ -f "$repo/src/VCluster.Tool/bin/Release/net10.0/dotnet-vcluster.dll" ] || dotnet build "$repo/src/VCluster.Tool" -c Release -v:q >/dev/null
m="--manifest $work/c/vcluster.json"
trap '$tool down $m >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
$tool generate --root "$work/c" --nodes "$nodes" --instances $((instances + 1)) >/dev/null
$tool up $m --timeout 900 >/dev/null
for template in $templates; do
  start=$(date +%s.%N)
  $tool burnin $m -t "$template" -n "$instances" > "$work/burnin-$template.log" 2>&1 || { tail -40 "$work/burnin-$template.log"; exit 1; }
  echo "nodes=$nodes instances=$instances template=$template burnin_s=$(echo "$(date +%s.%N) - $start" | bc)"
done
