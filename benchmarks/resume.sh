#!/usr/bin/env bash
# Resume after down, again and again (issue 9): the default 3-node cluster with one diskless
# instance, then ROUNDS times `down` and `up`; every up must succeed and leave the cluster
# "up" with the instance running. Prints one line per round and a summary with the median
# resumed up time. Needs ./eng/setup.sh first. Usage: benchmarks/resume.sh [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
rounds=${1:-20}
bench_work vcr
$tool generate --root "$work/c" >/dev/null
$tool up $m >/dev/null
$tool exec $m node1 -- gnt-instance add -t diskless --no-nics -o noop -H fake --no-name-check --no-ip-check inst1 >/dev/null 2>&1 ||
  $tool exec $m node1 -- gnt-instance add -t diskless --no-nics -o noop -H fake --no-name-check --no-ip-check -n node2 inst1 >/dev/null
failures=0
times=()
for round in $(seq 1 "$rounds"); do
  $tool down $m >/dev/null
  start=$(date +%s.%N)
  if $tool up $m > "$work/up.log" 2>&1; then
    seconds=$(since "$start")
    state=$($tool status $m --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')
    instance=$($tool exec $m node1 -- gnt-instance list --no-headers -o status inst1)
    if [ "$state" = up ] && [ "$instance" = running ]; then
      times+=("$seconds"); echo "round $round: up in ${seconds}s"
    else
      failures=$((failures + 1)); echo "round $round: FAILED (state $state, inst1 $instance)"
    fi
  else
    failures=$((failures + 1)); echo "round $round: FAILED"; sed 's/^/  /' "$work/up.log"
  fi
done
median=$(printf '%s\n' "${times[@]:-0}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "rounds=$rounds failed=$failures median_resumed_up_s=$median"
[ "$failures" -eq 0 ]
