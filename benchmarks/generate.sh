#!/usr/bin/env bash
# Generation benchmarks (docs/benchmarks.md): VClusterGenerate for N nodes (fresh tree, median
# of RUNS), the no-op incremental build against an empty MSBuild project's no-op build, and
# peak memory. Needs ./eng/setup.sh first. Usage: benchmarks/generate.sh [NODES] [RUNS] [DIR] [INSTANCES]
# INSTANCES declared instances: half placed by hail, half spread over every node (Node="*").
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
nodes=${1:-1000}; runs=${2:-5}; base=${3:-/tmp}; instances=${4:-0}
work=$(mktemp -d "$base/vcb.XXXX")
trap 'rm -rf "$work"' EXIT
cp "$repo/nuget.config" "$work/" && sed -i "s#artifacts/packages#$repo/artifacts/packages#" "$work/nuget.config"
cp "$repo/global.json" "$work/"
cat > "$work/big.proj" <<XML
<Project Sdk="VCluster.Sdk">
  <PropertyGroup>
    <VClusterNodeCount>$nodes</VClusterNodeCount>
    <VClusterNetwork>198.18.0.0/15</VClusterNetwork>
    <VClusterRoot>$work/c</VClusterRoot>
  </PropertyGroup>
  <ItemGroup Condition="$instances > 0">
    <VClusterInstance Include="web" Count="$((instances / 2))" MemoryMiB="128" />
    <VClusterInstance Include="batch" Count="$((instances - instances / 2))" MemoryMiB="128" Node="*" />
  </ItemGroup>
</Project>
XML
cat > "$work/empty.proj" <<'XML'
<Project><Target Name="Build" /><Target Name="Restore" /></Project>
XML
cd "$work"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet build big.proj -nodeReuse:false -v:q >/dev/null   # restore the SDK, warm the disk cache
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== fresh generation of $nodes nodes and $instances declared instances, $runs runs (target time from MSBuild's performance summary; whole command; peak RSS)"
for i in $(seq "$runs"); do
  rm -rf "$work/c" "$work/obj"; sync
  /usr/bin/time -f "%e %M" -o time.txt dotnet build big.proj -t:VClusterGenerate -nodeReuse:false -clp:PerformanceSummary -v:q > out.txt
  target=$(grep -E "ms +_VClusterGenerateCore" out.txt | awk '{ print $1 }')
  echo "$target $(cat time.txt)"
done | tee runs.txt
echo "median target ms: $(awk '{ print $1 }' runs.txt | median)  median command s: $(awk '{ print $2 }' runs.txt | median)  max RSS KB: $(awk '{ print $3 }' runs.txt | sort -n | tail -1)"

echo "== no-op incremental build vs an empty project's no-op build ($runs runs each)"
dotnet build big.proj -nodeReuse:false -v:q > /dev/null
# The same project importing the restored SDK directly: what the SDK costs without NuGet's SDK resolver.
sdk=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/vcluster.sdk/*/Sdk | head -1)
sed -e "s#<Project Sdk=\"VCluster.Sdk\">#<Project><Import Project=\"$sdk/Sdk.props\" />#" -e "s#</Project>#<Import Project=\"$sdk/Sdk.targets\" /></Project>#" big.proj > direct.proj
dotnet build direct.proj -nodeReuse:false -v:q > /dev/null
# An SDK that does nothing, delivered the same way (NuGet feed, global.json): what any SDK
# from NuGet costs a no-op build before its own evaluation.
mkdir -p nullsdk/Sdk feed
echo '<Project />' > nullsdk/Sdk/Sdk.props
echo '<Project><Target Name="Build" /><Target Name="Restore" /></Project>' > nullsdk/Sdk/Sdk.targets
cat > nullsdk/Null.Sdk.csproj <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework><PackageType>MSBuildSdk</PackageType><PackageId>Null.Sdk</PackageId>
    <Version>1.0.0</Version><IncludeBuildOutput>false</IncludeBuildOutput><NoWarn>NU5128</NoWarn>
  </PropertyGroup>
  <ItemGroup><None Include="Sdk/**" Pack="true" PackagePath="Sdk/" /></ItemGroup>
</Project>
XML
dotnet pack nullsdk -o feed -nodeReuse:false -v:q > /dev/null
sed -i "s#</packageSources>#<add key=\"null\" value=\"$work/feed\" /></packageSources>#" nuget.config
sed -i 's#"msbuild-sdks": {#"msbuild-sdks": { "Null.Sdk": "1.0.0",#' global.json
echo '<Project Sdk="Null.Sdk" />' > null.proj
dotnet build null.proj -nodeReuse:false -v:q > /dev/null
for p in big direct null empty; do
  for i in $(seq "$runs"); do
    /usr/bin/time -f "%e" -o t.txt dotnet build $p.proj -nodeReuse:false -v:q > /dev/null; cat t.txt
  done | median | sed "s/^/median s $p.proj: /"
done
