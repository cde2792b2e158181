using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// A project that names another Debian release (VClusterGanetiRelease) runs that release's
/// Ganeti with that release's userland, unprivileged: the build makes the release's root file
/// system with mmdebstrap in the user's cache (from Debian's mirror, as a user would), the
/// sandbox binds its /usr, and Ganeti 3.1's daemons, Python and tools run the cluster. The
/// bulk shortcuts are proven on 3.0 only, so nodes join and instances are made Ganeti's own way.
/// </summary>
[TestClass]
public sealed class GanetiReleaseTests
{
    private const string Release = "trixie";

    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void AClusterRunsTrixiesGanetiWithTrixiesUserland()
    {
        if (!HasSubordinateIds())
            Assert.Inconclusive($"mmdebstrap --mode=unshare needs subordinate ids for the test user in /etc/subuid and /etc/subgid, which only root can add");
        var repo = NewRepository($"""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNodeCount>3</VClusterNodeCount>
                <VClusterGanetiRelease>{Release}</VClusterGanetiRelease>
              </PropertyGroup>
              <ItemGroup>
                <!-- Pinned: placing plain instances with hail's multi-allocation fails on Ganeti 3.0 and 3.1 alike (docs/ganeti-releases.md). -->
                <VClusterInstance Include="web" Count="2" Template="plain" DiskGiB="1" Node="node2" />
              </ItemGroup>
            </Project>
            """);

        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"], TimeSpan.FromMinutes(20));
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, $"Ganeti of Debian {Release}: root file system made", up.ToString());
        StringAssert.Contains(up.Output, "one gnt-node add each", up.ToString());
        StringAssert.Contains(up.Output, "made by its jobs", up.ToString());
        try
        {
            // The manifest names the release's root in the user's cache as the nodes' userland.
            var root = Path.Combine(Home, ".cache/vcluster/releases", Release, "root");
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, ".vcluster/cluster/vcluster.json")))!["ganeti"]!;
            Assert.AreEqual(root, (string?)manifest["userland"]);
            StringAssert.StartsWith((string?)manifest["version"], "3.1.");

            // Ganeti's own commands, its Python and its Haskell daemons are the release's.
            var version = Tool(repo, "exec", "node1", "--", "gnt-cluster", "version");
            Assert.AreEqual(0, version.ExitCode, version.ToString());
            StringAssert.Contains(version.Output, "Software version: 3.1.", version.ToString());
            var python = Tool(repo, "exec", "node2", "--", "python3", "-c", "import sys; print(sys.version)");
            Assert.AreEqual(0, python.ExitCode, python.ToString());
            StringAssert.StartsWith(python.Output.Trim(), "3.13", python.ToString());
            var luxid = Tool(repo, "exec", "node1", "--", "sh", "-c", "readlink /proc/$(pgrep -o ganeti-luxid)/exe");
            Assert.AreEqual(0, luxid.ExitCode, luxid.ToString());
            StringAssert.EndsWith(luxid.Output.Trim(), "/3.1/usr/sbin/ganeti-luxid", luxid.ToString());

            // Every node joined, the declared plain instances exist on LVM in user space, and
            // Ganeti 3.1 finds the cluster consistent.
            var nodes = Tool(repo, "exec", "node1", "--", "gnt-node", "list", "--no-headers", "-o", "name");
            Assert.AreEqual(0, nodes.ExitCode, nodes.ToString());
            CollectionAssert.AreEquivalent(new[] { "node1", "node2", "node3" }, Lines(nodes.Output), nodes.ToString());
            var instances = Tool(repo, "exec", "node1", "--", "gnt-instance", "list", "--no-headers", "-o", "name,disk_template");
            Assert.AreEqual(0, instances.ExitCode, instances.ToString());
            Assert.AreEqual(2, Lines(instances.Output).Count(l => l.EndsWith("plain", StringComparison.Ordinal)), instances.ToString());
            var verify = Tool(repo, "verify");
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());

            // The next build takes the root from the cache and finds the cluster up.
            var again = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
            Assert.AreEqual(0, again.ExitCode, again.ToString());
            StringAssert.Contains(again.Output, "root file system from the cache", again.ToString());
            StringAssert.Contains(again.Output, "is already up", again.ToString());
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static bool HasSubordinateIds()
    {
        var user = IsRoot ? Name : Environment.UserName;
        bool Listed(string file) => File.Exists(file) && File.ReadLines(file).Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));
        return Listed("/etc/subuid") && Listed("/etc/subgid");
    }
}
