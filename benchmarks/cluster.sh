# Sourced by the benchmarks that run a cluster. Sets repo and tool (the Release build of
# dotnet-vcluster, built from this tree); bench_work PREFIX makes a work folder under /tmp and
# sets work and m (the --manifest option for a cluster root in $work/c), and on exit takes the
# cluster down and removes the folder; since START prints the seconds since START (date +%s.%N).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tool_dll="$repo/src/VCluster.Tool/bin/Release/net10.0/dotnet-vcluster.dll"
tool="dotnet $tool_dll"
dotnet build "$repo/src/VCluster.Tool" -c Release -v:q -nologo >/dev/null   # incremental: cheap when up to date
bench_work() {
  work=$(mktemp -d "/tmp/$1.XXXX")
  m="--manifest $work/c/vcluster.json"
  # The nodes' overlay work folders are mode 000 (overlayfs makes them so): opened before removal.
  trap '$tool down $m >/dev/null 2>&1 || true; chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cd "$work"   # generate leaves its pointer (.vcluster/NAME.cluster) in the folder it runs in
}
since() { echo "$(date +%s.%N) - $1" | bc; }
