using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Engine.Planning;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>
/// What a project's LVM declaration (VClusterLvm, VClusterVolumeGroup, VClusterPhysicalVolumes,
/// a node's PhysicalVolumes) makes of the plan and the generated cluster; the user-space LVM
/// program itself is tested in UserspaceLvmTests.
/// </summary>
[TestClass]
public sealed class LvmDeclarationTests
{
    private const string Root = "/srv/vc";

    [TestMethod]
    public void ByDefaultEveryNodeHasGanetisDefaultVolumeGroupAndPlainIsEnabled()
    {
        var plan = ClusterPlanner.Plan(new ClusterSpec { Root = Root });

        Assert.AreEqual("xenvg", plan.VolumeGroup);
        CollectionAssert.AreEqual(new[] { "diskless", "plain", "file", "sharedfile" }, plan.DiskTemplates.ToArray());
        Assert.IsTrue(plan.Nodes.All(n => n.PhysicalVolumes == 1));
    }

    [TestMethod]
    public void WithoutLvmThereIsNoVolumeGroupAndNoPlainTemplate()
    {
        var plan = ClusterPlanner.Plan(new ClusterSpec { Root = Root, Lvm = false, VolumeGroup = "ignored" });

        Assert.IsNull(plan.VolumeGroup);
        CollectionAssert.DoesNotContain(plan.DiskTemplates.ToArray(), "plain");
    }

    [TestMethod]
    public void PhysicalVolumesComeFromTheClusterUnlessTheNodeSaysOtherwise()
    {
        var plan = ClusterPlanner.Plan(new ClusterSpec
        {
            Root = Root, PhysicalVolumes = "2", VolumeGroup = "vg.test",
            Nodes = [new NodeSpec { Name = "a" }, new NodeSpec { Name = "b", PhysicalVolumes = "3", DiskGiB = "64" }],
        });

        Assert.AreEqual("vg.test", plan.VolumeGroup);
        Assert.AreEqual(2, plan.Nodes[0].PhysicalVolumes);
        Assert.AreEqual(3, plan.Nodes[1].PhysicalVolumes);
    }

    [TestMethod]
    [DataRow("-vg")]
    [DataRow("vg/x")]
    [DataRow("snapshot1")]
    [DataRow("..")]
    [DataRow("pts")]
    [DataRow("vg name")]
    public void AVolumeGroupNameLvmRefusesIsReported(string name)
    {
        var error = SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = Root, VolumeGroup = name }), ErrorCodes.InvalidVolumeGroup);
        StringAssert.Contains(error.Message, $"VClusterVolumeGroup '{name}'");
    }

    [TestMethod]
    public void BadPhysicalVolumeCountsAreReportedWithTheNode()
    {
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = Root, PhysicalVolumes = "0" }), ErrorCodes.InvalidCount);
        var node = SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "a", PhysicalVolumes = "17" })), ErrorCodes.InvalidPhysicalVolumes);
        StringAssert.Contains(node.Message, "node 'a': PhysicalVolumes='17' is not a whole number from 1 to 16");
        var off = SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "a", PhysicalVolumes = "2" }) with { Lvm = false }), ErrorCodes.InvalidPhysicalVolumes);
        StringAssert.Contains(off.Message, "the cluster has no LVM");
    }

    [TestMethod]
    public void ADiskTooSmallForGanetisMinimumVolumeGroupIsReportedWithTheSmallestThatFits()
    {
        // 20 GiB is 20,480 MiB, less LVM's metadata area: 20,476 MiB of extents, and Ganeti needs 20,480.
        var error = SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "small", DiskGiB = "20" })), ErrorCodes.InvalidPhysicalVolumes);
        StringAssert.Contains(error.Message, "node 'small': DiskGiB=20 gives its volume group 20,476 MiB, and Ganeti needs at least 20,480 MiB (MIN_VG_SIZE): declare DiskGiB of at least 21");
        Assert.AreEqual(21 * 1024 - 4, LvmGeometry.UsableMiB(21, 1));
        // Without LVM the same node is fine.
        Assert.AreEqual(20, ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "small", DiskGiB = "20" }) with { Lvm = false }).Nodes[0].DiskGiB);
    }

    [TestMethod]
    public void PlainInstancesNeedLvmAndFitTheVolumeGroup()
    {
        var nodes = new[] { new NodeSpec { Name = "a", DiskGiB = "30" } };
        var off = SingleError(() => ClusterPlanner.Plan(Spec(Root, nodes) with { Lvm = false, Instances = [new InstanceSpec { Name = "p", Template = "plain" }] }),
            ErrorCodes.UnsupportedDiskTemplate);
        StringAssert.Contains(off.Message, "needs LVM");

        var plan = ClusterPlanner.Plan(Spec(Root, nodes) with { Instances = [new InstanceSpec { Name = "p", Template = "plain", DiskGiB = "29", Node = "a" }] });
        Assert.AreEqual("plain", plan.DeclaredInstances[0].Template);

        var tooBig = SingleError(() => ClusterPlanner.Plan(Spec(Root, nodes) with { Instances = [new InstanceSpec { Name = "p", Template = "plain", DiskGiB = "30", Node = "a" }] }),
            ErrorCodes.InstancesDoNotFit);
        StringAssert.Contains(tooBig.Message, "its pinned plain instances need 30,720 MiB of its volume group (p) and the node has 30,716");
    }

    [TestMethod]
    public void GenerationGivesEveryNodeItsVolumeGroupsDeviceFolderAndTheLvmCommands()
    {
        using var dir = new TempDir();
        var result = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), PhysicalVolumes = "2" }, Options(dir.Combine("cache")));
        var manifest = ClusterManifest.Load(result.ManifestPath);
        var node = result.Plan.Nodes[1];

        Assert.AreEqual("xenvg", manifest.Lvm!.VolumeGroup);
        Assert.AreEqual("/mnt/bin/lvm", manifest.Lvm.Program);
        CollectionAssert.AreEqual(new[] { "diskless", "plain", "file", "sharedfile" }, manifest.DiskTemplates);
        Assert.IsTrue(manifest.Nodes.All(n => n.PhysicalVolumes == 2));
        Assert.IsTrue(Directory.Exists(Path.Combine(node.Root, "lvm/dev/xenvg")));
        foreach (var command in UserspaceLvm.Commands)
            Assert.AreEqual("lvm", new FileInfo(Path.Combine(result.Plan.Root, "bin", command)).LinkTarget, command);
        Assert.IsTrue(File.Exists(Path.Combine(result.Plan.Root, "bin/lvm")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(node.Root, "cmd")), $"--bind \"{node.SandboxRoot}/lvm/dev/xenvg\" \"/dev/xenvg\"");
        StringAssert.Contains(File.ReadAllText(Path.Combine(result.Plan.Root, ".state/sandbox/setup")), "mkdir \"$dev/xenvg\"");
        StringAssert.Contains(File.ReadAllText(Path.Combine(node.Root, "etc/vcluster/resources.json")), "\"lvm\": { \"volumeGroup\": \"xenvg\", \"physicalVolumes\": 2 }");
    }

    [TestMethod]
    public void WithoutLvmNodesHaveNoVolumeGroup()
    {
        using var dir = new TempDir();
        var result = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), Lvm = false }, Options(dir.Combine("cache")));
        var manifest = ClusterManifest.Load(result.ManifestPath);
        var node = result.Plan.Nodes[0];

        Assert.IsNull(manifest.Lvm);
        Assert.IsTrue(manifest.Nodes.All(n => n.PhysicalVolumes == 0));
        Assert.IsFalse(Directory.Exists(Path.Combine(node.Root, "lvm")));
        Assert.IsFalse(File.ReadAllText(Path.Combine(node.Root, "cmd")).Contains("/dev/xenvg", StringComparison.Ordinal));
        StringAssert.Contains(File.ReadAllText(Path.Combine(node.Root, "etc/vcluster/resources.json")), "\"lvm\": null");
    }
}
