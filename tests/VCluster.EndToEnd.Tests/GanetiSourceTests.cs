using System.Text.Json.Nodes;
using VCluster.Tests.Shared;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// A project that names a Ganeti source tree (VClusterGanetiSource) runs the Ganeti built from
/// it: the build configures, makes and installs the tree as Debian does, the cluster's nodes
/// run that installation with the tree's change in it, and a second build with no change
/// rebuilds nothing. The tree is <see cref="SmallGanetiTree"/>: Debian's installed Ganeti with
/// one changed module (a full Ganeti build is a benchmark: docs/benchmarks.md).
/// </summary>
[TestClass]
public sealed class GanetiSourceTests
{
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void AClusterRunsTheGanetiBuiltFromTheProjectsSourceTree()
    {
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNodeCount>2</VClusterNodeCount>
                <VClusterGanetiSource>ganeti</VClusterGanetiSource>
              </PropertyGroup>
            </Project>
            """);
        var tree = SmallGanetiTree.Write(Path.Combine(repo, "ganeti"));
        if (IsRoot)
            Assert.AreEqual(0, Host("/", ["chown", "-R", $"{Name}:{Name}", tree]).ExitCode);

        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, "configure, make, make install", up.ToString());
        try
        {
            // The manifest names the installation built from the tree, and the tree.
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, ".vcluster/cluster/vcluster.json")))!["ganeti"]!;
            var installRoot = Path.Combine(repo, "obj/vcluster/ganeti/install");
            Assert.AreEqual(installRoot, (string?)manifest["installRoot"]);
            Assert.AreEqual(Path.GetFullPath(tree), (string?)manifest["source"]);

            // Ganeti's own command on the master runs the tree's code.
            var version = Tool(repo, "exec", "node1", "--", "gnt-cluster", "version");
            Assert.AreEqual(0, version.ExitCode, version.ToString());
            StringAssert.Contains(version.Output, "Software version: 3.0.2", version.ToString());
            StringAssert.Contains(version.Output, SmallGanetiTree.Marker, version.ToString());

            // The daemons of every node run from that installation and agree with each other.
            var verify = Tool(repo, "verify");
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());

            // No change: the second build rebuilds nothing and installs nothing.
            var module = Path.Combine(installRoot, "usr/share/ganeti/3.0/ganeti/client/gnt_cluster.py");
            var installedAt = File.GetLastWriteTimeUtc(module);
            var again = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
            Assert.AreEqual(0, again.ExitCode, again.ToString());
            StringAssert.Contains(again.Output, "up to date, nothing rebuilt", again.ToString());
            Assert.AreEqual(installedAt, File.GetLastWriteTimeUtc(module));

            // A change while the cluster runs: the next build makes and installs it (swapping the
            // installation in whole), and the running cluster's next command runs it.
            var edit = As(repo, ["sed", "-i", "s/a vcluster test tree/a vcluster test tree, changed again/", "ganeti/lib/client/gnt_cluster.py"]);
            Assert.AreEqual(0, edit.ExitCode, edit.ToString());
            var rebuilt = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
            Assert.AreEqual(0, rebuilt.ExitCode, rebuilt.ToString());
            StringAssert.Contains(rebuilt.Output, ": make, make install", rebuilt.ToString());
            var changed = Tool(repo, "exec", "node1", "--", "gnt-cluster", "version");
            Assert.AreEqual(0, changed.ExitCode, changed.ToString());
            StringAssert.Contains(changed.Output, SmallGanetiTree.Marker + ", changed again", changed.ToString());
        }
        finally
        {
            Tool(repo, "down");
        }
    }
}
