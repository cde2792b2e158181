using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Tests;

/// <summary>The bulk shortcuts run only on the Ganeti they were proven equal to Ganeti's own ways on.</summary>
[TestClass]
public sealed class ShortcutFidelityTests
{
    [TestMethod]
    public void OnlyGaneti30IsProven()
    {
        Assert.IsTrue(ShortcutFidelity.ProvenOn("3.0.2"));
        Assert.IsTrue(ShortcutFidelity.ProvenOn("3.0"));
        Assert.IsFalse(ShortcutFidelity.ProvenOn("3.1.0"), "trixie's Ganeti: its nodes join with gnt-node add");
        Assert.IsFalse(ShortcutFidelity.ProvenOn("3.00.1"));
        Assert.IsFalse(ShortcutFidelity.ProvenOn("2.16.2"));
    }

    [TestMethod]
    public void AfterAnUpgradeTheVersionIsTheOneTheMastersLinkNames()
    {
        var root = Directory.CreateTempSubdirectory("vcv");
        try
        {
            var node1 = Path.Combine(root.FullName, "node1");
            Directory.CreateDirectory(Path.Combine(node1, "etc/ganeti"));
            var link = Path.Combine(node1, "etc/ganeti/share");
            File.CreateSymbolicLink(link, "/mnt/nodes/node1/prefix/share/ganeti/3.0");
            var manifest = new ClusterManifest
            {
                Master = "node1",
                Ganeti = new ManifestGaneti
                {
                    Version = "3.0.2",
                    Installed = [new() { Version = "3.0.2", VersionDir = "3.0" }, new() { Version = "3.1.0", VersionDir = "3.1" }],
                },
                Nodes = [new ManifestNode { Name = "node1", Master = true, Root = node1 }],
            };
            Assert.AreEqual("3.0.2", RunningGaneti.Version(manifest));
            Assert.IsNull(RunningGaneti.Other(manifest));

            // As gnt-cluster upgrade --to 3.1 leaves it: up joins nodes and makes instances Ganeti's way.
            File.Delete(link);
            File.CreateSymbolicLink(link, "/mnt/nodes/node1/prefix/share/ganeti/3.1");
            Assert.AreEqual("3.1.0", RunningGaneti.Version(manifest));
            Assert.IsFalse(ShortcutFidelity.ProvenOn(RunningGaneti.Version(manifest)));
            Assert.AreEqual("3.1", RunningGaneti.Other(manifest)!.VersionDir);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
