#!/usr/bin/env bash
# The version of the VCluster.Sdk and dotnet-vcluster packages built from this tree:
# VersionPrefix (Directory.Build.props) with a suffix named after the content of every file
# that goes into them. Two checkouts whose sources differ never pack the same version, so a
# package in the user's NuGet cache is never replaced under another checkout (NuGet serves a
# cached id+version as it is); the same sources give the same version, on any machine.
#   eng/version.sh          print the version
#   eng/version.sh --pin    also pin it where the repository uses it: global.json (the SDK of
#                           samples/) and dotnet-tools.json (dotnet vcluster); files change
#                           only when the version does
set -euo pipefail
cd "$(dirname "$0")/.."

inputs() {
  # Build outputs and Python's byte-code caches are not sources.
  find src sdk templates -type f -not -path '*/bin/*' -not -path '*/obj/*' -not -path '*/__pycache__/*' -print0
  printf '%s\0' Directory.Build.props Directory.Build.targets
}
hash=$(inputs | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
prefix=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
version="$prefix-c$hash"

if [ "${1:-}" = "--pin" ]; then
  pin() {  # FILE SED-EXPRESSION: rewrite FILE only if the expression changes it
    local updated
    updated=$(sed -e "$2" "$1")
    [ "$updated" = "$(cat "$1")" ] || printf '%s\n' "$updated" > "$1"
  }
  pin global.json "s|\(\"VCluster.Sdk\": \"\)[^\"]*\"|\1$version\"|"
  pin dotnet-tools.json "/\"dotnet-vcluster\"/,/}/ s|\(\"version\": \"\)[^\"]*\"|\1$version\"|"
fi
echo "$version"
