using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// A cluster of Debian's Ganeti 3.0.2 whose nodes also install trixie's 3.1
/// (VClusterGanetiAlsoInstall), upgraded and downgraded by Ganeti itself, as on machines:
/// <c>gnt-cluster upgrade --to 3.1</c> stops the daemons, switches every node's version links,
/// upgrades the configuration and starts 3.1's daemons, each with trixie's userland, with the
/// instances kept; <c>--to 3.0</c> takes it back. docs/upgrades.md records what Ganeti does.
/// </summary>
[TestClass]
public sealed partial class UpgradeTests
{
    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void GanetiUpgradesTheClusterTo31AndBack()
    {
        if (!GanetiReleaseTests.HasSubordinateIds())
            Assert.Inconclusive("mmdebstrap --mode=unshare needs subordinate ids for the test user in /etc/subuid and /etc/subgid, which only root can add");
        // A cache of its own: the release's root is made here, whatever GanetiReleaseTests did.
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNodeCount>3</VClusterNodeCount>
                <VClusterGanetiAlsoInstall>trixie</VClusterGanetiAlsoInstall>
                <VClusterCacheDirectory>$(MSBuildProjectDirectory)/cache</VClusterCacheDirectory>
              </PropertyGroup>
              <ItemGroup>
                <!-- Pinned: hail's multi-allocation places no plain instances (docs/ganeti-releases.md). -->
                <VClusterInstance Include="web" Count="2" Template="plain" DiskGiB="1" Node="node2" />
                <VClusterInstance Include="db" Template="diskless" Node="node3" />
              </ItemGroup>
            </Project>
            """);
        var cluster = Path.Combine(repo, ".vcluster/cluster");
        try
        {
            // Inside: a bring-up that fails half-way leaves a sandbox that down stops.
            var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"], TimeSpan.FromMinutes(20));
            Assert.AreEqual(0, up.ExitCode, up.ToString());
            StringAssert.Contains(up.Output, "Ganeti of Debian trixie", up.ToString());
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(cluster, "vcluster.json")))!["ganeti"]!;
            Assert.AreEqual("3.0.2", (string?)manifest["version"]);
            CollectionAssert.AreEqual(new[] { "3.0.2", "3.1.0" }, manifest["installed"]!.AsArray().Select(v => ((string?)v!["version"])![..5]).ToArray());
            AssertRunning(repo, cluster, "3.0", "3.11", 3000000);

            // Ganeti's own upgrade, from the master, as an operator runs it.
            var upgrade = Tool(repo, "exec", "node1", "--", "gnt-cluster", "upgrade", "--to", "3.1");
            Assert.AreEqual(0, upgrade.ExitCode, upgrade.ToString());
            foreach (var step in new[] { "Verifying 3.1 present on all nodes", "Switching to version 3.1 on all nodes", "Upgrading configuration", "Starting daemons everywhere", "Verifying cluster" })
                StringAssert.Contains(upgrade.Output, step, upgrade.ToString());
            AssertNoStepFailed(upgrade);
            AssertRunning(repo, cluster, "3.1", "3.13", 3010000);
            var status = Tool(repo, "status");
            StringAssert.Contains(status.Output, "ganeti: 3.1 on every node (installed: 3.0.2, 3.1.0", status.ToString());
            // This machine's Debian source holds 3.0.2's QA suite, not the one of the version running.
            var qa = Tool(repo, "qa", "--tests", "cluster-verify");
            Assert.AreNotEqual(0, qa.ExitCode, qa.ToString());
            StringAssert.Contains(qa.Output, "VCS0055", qa.ToString());

            // The tool brings the upgraded cluster back up on the version its nodes run.
            Assert.AreEqual(0, Tool(repo, "down").ExitCode);
            var again = Tool(repo, "up");
            Assert.AreEqual(0, again.ExitCode, again.ToString());
            AssertRunning(repo, cluster, "3.1", "3.13", 3010000);

            // And back: the newer cfgupgrade downgrades the configuration before the switch.
            var downgrade = Tool(repo, "exec", "node1", "--", "gnt-cluster", "upgrade", "--to", "3.0");
            Assert.AreEqual(0, downgrade.ExitCode, downgrade.ToString());
            StringAssert.Contains(downgrade.Output, "Downgrading configuration", downgrade.ToString());
            AssertNoStepFailed(downgrade);
            AssertRunning(repo, cluster, "3.0", "3.11", 3000000);
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>
    /// Every node runs <paramref name="version"/>: its links, its daemons' binaries and its
    /// Python; the configuration has that version's format; the instances run; verify is clean.
    /// </summary>
    private static void AssertRunning(string repo, string cluster, string version, string python, int configVersion)
    {
        foreach (var node in new[] { "node1", "node2", "node3" })
        {
            var link = new FileInfo(Path.Combine(cluster, "nodes", node, "etc/ganeti/lib")).LinkTarget;
            Assert.AreEqual($"/mnt/nodes/{node}/prefix/lib/ganeti/{version}", link, node);
            var noded = Tool(repo, "exec", node, "--", "sh", "-c", $"readlink /proc/$(cat /mnt/nodes/{node}/var/run/ganeti/ganeti-noded.pid)/exe; python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'");
            Assert.AreEqual(0, noded.ExitCode, noded.ToString());
            var lines = noded.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            StringAssert.StartsWith(lines[^1], python, $"{node}: {noded}");
            StringAssert.Contains(lines[^2], "python" + python, $"{node}'s noded runs with its version's Python: {noded}");
        }
        var luxid = Tool(repo, "exec", "node1", "--", "sh", "-c", "readlink /proc/$(cat /mnt/nodes/node1/var/run/ganeti/ganeti-luxid.pid)/exe");
        StringAssert.EndsWith(luxid.Output.Trim(), $"/{version}/usr/sbin/ganeti-luxid", luxid.ToString());
        var software = Tool(repo, "exec", "node1", "--", "gnt-cluster", "version");
        StringAssert.Contains(software.Output, $"Software version: {version}.", software.ToString());
        var config = File.ReadAllText(Path.Combine(cluster, "nodes/node1/var/lib/ganeti/config.data"));
        Assert.AreEqual(configVersion.ToString(), ConfigVersion().Match(config).Groups[1].Value);
        var instances = Tool(repo, "exec", "node1", "--", "gnt-instance", "list", "--no-headers", "-o", "name,status");
        Assert.AreEqual(0, instances.ExitCode, instances.ToString());
        Assert.AreEqual(3, instances.Output.Split('\n').Count(l => l.Trim().EndsWith("running", StringComparison.Ordinal)), instances.ToString());
        var verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    /// <summary>gnt-cluster upgrade reports a failed step and goes on; its exit code alone does not tell.</summary>
    private static void AssertNoStepFailed(Run run)
    {
        Assert.IsFalse(run.Output.Contains("failed", StringComparison.OrdinalIgnoreCase), run.ToString());
        Assert.IsFalse(run.Output.Contains("Warning", StringComparison.Ordinal), run.ToString());
    }

    [GeneratedRegex("\"version\": ?([0-9]+)")]
    private static partial Regex ConfigVersion();
}
