using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// Run as root (as CI runs), the sandbox's root is the host's root: the sandbox must still
/// change nothing on the host outside the cluster root, while the cluster works.
/// </summary>
[TestClass]
public sealed class RootIsolationTests
{
    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void AsRootNodesCannotWriteOutsideTheClusterRoot()
    {
        if (!IsRoot)
            Assert.Inconclusive("runs only as root: an ordinary user's sandbox cannot write the host's files anyway");

        var repo = Directory.CreateDirectory(Path.Combine(WorkDirectory, $"root{Guid.NewGuid():N}"[..8])).FullName;
        var version = Path.GetFileNameWithoutExtension(Directory.GetFiles(Feed, "VCluster.Sdk.*.nupkg").Single())["VCluster.Sdk.".Length..];
        File.WriteAllText(Path.Combine(repo, "nuget.config"), $"""
            <configuration><packageSources><clear /><add key="local" value="{Feed}" /></packageSources></configuration>
            """);
        File.WriteAllText(Path.Combine(repo, "global.json"), $$"""{ "msbuild-sdks": { "VCluster.Sdk": "{{version}}" } }""");
        File.WriteAllText(Path.Combine(repo, "cluster.proj"), """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterNodeCount>2</VClusterNodeCount></PropertyGroup>
            </Project>
            """);
        // root's own package cache stays as it was: the packages go into one of the test's.
        var cache = Path.Combine(WorkDirectory, "nuget-root");
        Run AsRoot(params string[] command) => Host(repo, ["env", $"NUGET_PACKAGES={cache}", "DOTNET_NOLOGO=1", .. command]);
        string tool() => Directory.GetFiles(Path.Combine(cache, "vcluster.sdk"), "dotnet-vcluster.dll", SearchOption.AllDirectories).Single();

        var up = AsRoot("dotnet", "build", "-t:VClusterUp", "-nodeReuse:false");
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        try
        {
            // A node's /etc is its own (an overlay kept in its tree), as a machine's is: a write
            // there stays in the cluster root.
            var etc = AsRoot("dotnet", "exec", tool(), "exec", "node1", "--", "touch", "/etc/vcluster-probe");
            Assert.AreEqual(0, etc.ExitCode, etc.ToString());
            Assert.IsFalse(File.Exists("/etc/vcluster-probe"), "/etc/vcluster-probe was created on the host");
            Assert.IsTrue(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/etc-overlay/upper/vcluster-probe")));
            var probes = new[] { "/root/vcluster-probe", "/usr/lib/ganeti/vcluster-probe", "/var/lib/vcluster-probe", "/home/vcluster-probe" };
            foreach (var probe in probes)
            {
                var write = AsRoot("dotnet", "exec", tool(), "exec", "node1", "--", "touch", probe);
                Assert.AreNotEqual(0, write.ExitCode, $"{probe}: {write}");
                StringAssert.Contains(write.Output, "Read-only file system", write.ToString());
                Assert.IsFalse(File.Exists(probe), $"{probe} was created on the host");
            }
            // The disks of the machine are not in the sandbox's /dev; xenvg is the node's own volume
            // group, a folder of its tree (docs/lvm.md), and holds nothing of the machine's.
            var disk = AsRoot("dotnet", "exec", tool(), "exec", "node1", "--", "sh", "-c", "ls /dev | tr '\\n' ' '");
            Assert.AreEqual("fd full null ptmx pts random shm stderr stdin stdout tty urandom xenvg zero", disk.Output.Trim(), disk.ToString());
            var volumeGroup = AsRoot("dotnet", "exec", tool(), "exec", "node1", "--", "sh", "-c", "ls -A /dev/xenvg | wc -l");
            Assert.AreEqual("0", volumeGroup.Output.Trim(), "no logical volumes yet: " + volumeGroup);
            Assert.IsTrue(Directory.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/lvm/dev/xenvg")), "the node's volume group folder is in its tree");

            // ... while the cluster works: both nodes, an instance, a clean verify.
            var nodes = AsRoot("dotnet", "exec", tool(), "exec", "node1", "--", "gnt-node", "list", "--no-headers", "-o", "name");
            Assert.AreEqual("node1\nnode2", nodes.Output.Trim(), nodes.ToString());
            var add = AsRoot("dotnet", "exec", tool(), "exec", "node1", "--", "gnt-instance", "add", "-t", "diskless", "-o", "noop", "-H", "fake",
                "--no-name-check", "--no-ip-check", "--no-nics", "-n", "node2", "inst1");
            Assert.AreEqual(0, add.ExitCode, add.ToString());
            var verify = AsRoot("dotnet", "exec", tool(), "verify");
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        }
        finally
        {
            AsRoot("dotnet", "exec", tool(), "down");
        }
    }
}
