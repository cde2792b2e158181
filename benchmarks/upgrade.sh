#!/usr/bin/env bash
# Ganeti's own upgrade and downgrade of a cluster with instances (issue 21): NODES nodes of
# Debian's Ganeti 3.0.2 that also install trixie's 3.1 (--also-install trixie), with two plain
# and two diskless instances on the master (QA's node tests take other nodes offline, which
# verify reports for an instance running there) and the 6 spare instance names QA needs.
# Times `gnt-cluster upgrade --to 3.1` as Ganeti runs it, each of its lines with the seconds
# since the command started, verify after; then QA's quick subset (`dotnet vcluster qa --tests
# quick`) with the QA suite of the version running, QA_DIR (3.1's qa/; none: QA skipped); then
# `--to 3.0` the same way. Needs ./eng/setup.sh first; the first run makes trixie's root (30 s).
# Usage: benchmarks/upgrade.sh [NODES] [QA_DIR]
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
nodes=${1:-5}; qa_dir=${2:-}
bench_work vup
instances=(--instance "plain:Count=2,Template=plain,DiskGiB=1,Node=node1" --instance "diskless:Count=2,Template=diskless,Node=node1")
start=$(date +%s.%N)
$tool generate --root "$work/c" --nodes "$nodes" --instances 6 --also-install trixie "${instances[@]}" | grep -v '^manifest'
echo "generate: $(since "$start") s"
start=$(date +%s.%N)
$tool up $m >/dev/null
echo "up: $(since "$start") s, 4 instances"
run() { $tool exec $m node1 -- "$@"; }
state() {
  echo "  $(run gnt-cluster version | head -1), configuration $(grep -o '"version": *[0-9]*' "$work/c/nodes/node1/var/lib/ganeti/config.data" | grep -o '[0-9]*$')," \
    "$(run gnt-instance list --no-headers -o status | grep -c running) instances running"
}
# Each line Ganeti prints, with the seconds since the command started and since its previous line.
timed() {
  local begin; begin=$(date +%s.%N)
  "$@" 2>&1 | while IFS= read -r line; do printf '%6.1f  %s\n' "$(since "$begin")" "$line"; done
  echo "  total: $(since "$begin") s"
}
verify() {
  start=$(date +%s.%N)
  if $tool verify $m >/dev/null 2>&1; then echo "  verify: clean ($(since "$start") s)"; else echo "  verify: ERRORS"; $tool verify $m | grep -E 'ERROR|WARNING' | sed 's/^/    /'; fi
}
echo "before:"; state
echo "gnt-cluster upgrade --to 3.1:"; timed run gnt-cluster upgrade --to 3.1
echo "after:"; state; verify
if [ -n "$qa_dir" ]; then
  start=$(date +%s.%N)
  $tool qa $m --tests quick --qa-dir "$qa_dir" > "$work/qa.log" 2>&1 && qa=passed || qa=FAILED
  echo "  QA quick subset with $qa_dir: $qa in $(since "$start") s: $(grep -o '\] QA: .*' "$work/qa.log" | cut -c3-)"
  [ "$qa" = passed ] || sed 's/^/    /' "$work/qa.log" | tail -40
fi
echo "gnt-cluster upgrade --to 3.0:"; timed run gnt-cluster upgrade --to 3.0
echo "after:"; state; verify
