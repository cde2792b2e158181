using System.Globalization;
using static VCluster.EndToEnd.Tests.GanetiOutput;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// Ganeti's plain disk template (LVM) on a virtual cluster, unprivileged: every node's volume
/// group is kept in user space (templates/cluster/lvm.sbn) over sparse files in its tree, and
/// Ganeti creates, grows, reinstalls, renames, exports, imports and moves plain instances on
/// it as on hardware; the volumes survive down and up, and gnt-cluster verify and burnin pass.
/// </summary>
[TestClass]
public sealed class LvmTests
{
    private const int ExtentMiB = 4;

    // Each node: 100 GiB (the default) over 2 physical volumes, each losing 1 MiB to LVM's
    // metadata and keeping whole 4-MiB extents: 2 x 12,799 extents.
    private const int PhysicalVolumeMiB = (100 * 1024 / 2 - 1) / ExtentMiB * ExtentMiB;
    private const int VolumeGroupMiB = 2 * PhysicalVolumeMiB;

    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void PlainInstancesLiveInEachNodesOwnVolumeGroup()
    {
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterInstanceCount>8</VClusterInstanceCount>
                <VClusterPhysicalVolumes>2</VClusterPhysicalVolumes>
              </PropertyGroup>
            </Project>
            """);
        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        var nodes = Path.Combine(repo, ".vcluster/cluster/nodes");
        try
        {
            // Ganeti knows the volume group, and every node reports it as its disk.
            StringAssert.Contains(Gnt("gnt-cluster", "info"), "xenvg");
            foreach (var row in Table(Gnt("gnt-node", "list", "--no-headers", "--units=m", "--separator=|", "-o", "name,dtotal,dfree")))
                CollectionAssert.AreEqual(new[] { VolumeGroupMiB, VolumeGroupMiB }, row[1..].Select(Number).ToArray(), string.Join('|', row));
            var pvs = Table(Gnt("gnt-node", "list-storage", "-t", "lvm-pv", "--no-headers", "--units=m", "--separator=|", "-o", "node,name,size,free,allocatable"));
            Assert.HasCount(6, pvs, "two physical volumes a node");
            Assert.IsTrue(pvs.All(p => Number(p[2]) == PhysicalVolumeMiB && Number(p[3]) == PhysicalVolumeMiB && p[4] == "Y"), string.Join('\n', pvs.Select(p => string.Join('|', p))));

            // A plain instance: its logical volume is a sparse file in its node's tree.
            Gnt("gnt-instance", "add", "-t", "plain", "--disk", "0:size=64m", "-n", "node2", "-o", "noop", "--no-name-check", "--no-ip-check", "inst1");
            var volume = Volume("node2", "inst1");
            Assert.AreEqual(64, volume.SizeMiB);
            var file = Path.Combine(nodes, "node2/lvm/dev/xenvg", volume.Name);
            Assert.AreEqual(64L << 20, new FileInfo(file).Length);
            Assert.AreEqual(VolumeGroupMiB - 64, Number(Table(Gnt("gnt-node", "list", "--no-headers", "--units=m", "--separator=|", "-o", "dfree", "node2"))[0][0]));

            // The node writes through the device path Ganeti gave the instance, as an OS would.
            Node("node2", $"printf vcluster-lvm-marker | dd of=/dev/xenvg/{volume.Name} conv=notrunc status=none");
            Assert.AreEqual("vcluster-lvm-marker", Marker(file));
            Assert.IsLessThan(8L << 20, AllocatedBytes(file), "the volume stays sparse");

            // Grow, reinstall, rename.
            Gnt("gnt-instance", "grow-disk", "inst1", "0", "32m");
            Assert.AreEqual(96, Volume("node2", "inst1").SizeMiB);
            Assert.AreEqual(96L << 20, new FileInfo(file).Length);
            Gnt("gnt-instance", "shutdown", "inst1");
            Gnt("gnt-instance", "reinstall", "-f", "inst1");
            Gnt("gnt-instance", "rename", "inst1", "inst2");
            Gnt("gnt-instance", "startup", "inst2");
            Assert.AreEqual(volume.Name, Volume("node2", "inst2").Name);

            // Export (from an LVM snapshot) to node3, import as a new plain instance on node1.
            Gnt("gnt-backup", "export", "--long-sleep", "-n", "node3", "inst2");
            Gnt("gnt-backup", "import", "-t", "plain", "-n", "node1", "--src-node", "node3", "--src-dir", "inst2",
                "--net", "0:mac=generate", "--no-name-check", "--no-ip-check", "inst3");
            var imported = Volume("node1", "inst3");
            Assert.AreEqual("vcluster-lvm-marker", Marker(Path.Combine(nodes, "node1/lvm/dev/xenvg", imported.Name)));
            Assert.IsFalse(Gnt("gnt-node", "volumes", "--no-headers", "-o", "name").Contains(".snap", StringComparison.Ordinal), "the export's snapshot is gone");

            // Move to another node: the data is copied between the nodes' volume groups.
            Gnt("gnt-instance", "move", "-f", "-n", "node3", "inst2");
            var moved = Volume("node3", "inst2");
            Assert.AreEqual("vcluster-lvm-marker", Marker(Path.Combine(nodes, "node3/lvm/dev/xenvg", moved.Name)));
            Assert.IsFalse(File.Exists(file), "the volume left node2");

            // A full volume group fails as LVM does.
            var full = Tool(repo, "exec", "node1", "--", "lvcreate", "-L", "200g", "-n", "toobig", "xenvg");
            Assert.AreEqual(5, full.ExitCode, full.ToString());
            StringAssert.Contains(full.Output, "insufficient free space", full.ToString());

            var verify = Tool(repo, "verify");
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());

            // The volumes survive down and up.
            Assert.AreEqual(0, Tool(repo, "down").ExitCode);
            var again = Tool(repo, "up");
            Assert.AreEqual(0, again.ExitCode, again.ToString());
            Assert.AreEqual(moved.Name, Volume("node3", "inst2").Name);
            Assert.AreEqual(imported.Name, Volume("node1", "inst3").Name);
            Assert.AreEqual("vcluster-lvm-marker", Marker(Path.Combine(nodes, "node3/lvm/dev/xenvg", moved.Name)));
            Gnt("gnt-instance", "remove", "-f", "inst2");
            Gnt("gnt-instance", "remove", "-f", "inst3");

            // Ganeti's burnin with plain instances: create, grow, move, export and import, reinstall, rename, remove.
            var burnin = Tool(repo, "burnin", "-t", "plain", "-n", "1");
            Assert.AreEqual(0, burnin.ExitCode, burnin.ToString());
            foreach (var phase in new[] { "Creating instances", "Growing disks", "Moving instances", "Exporting and re-importing instances", "Reinstalling instances", "Removing instances" })
                StringAssert.Contains(burnin.Output, "- " + phase, phase);
            Assert.AreEqual("", Gnt("gnt-node", "volumes", "--no-headers", "-o", "name").Trim(), "burnin left no volumes");

            verify = Tool(repo, "verify");
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        }
        finally
        {
            Tool(repo, "down");
        }

        string Gnt(params string[] command)
        {
            var run = Tool(repo, ["exec", "node1", "--", .. command]);
            Assert.AreEqual(0, run.ExitCode, $"{string.Join(' ', command)}\n{run}");
            return run.Output;
        }

        void Node(string node, string script)
        {
            var run = Tool(repo, "exec", node, "--", "sh", "-c", script);
            Assert.AreEqual(0, run.ExitCode, $"{script}\n{run}");
        }

        (string Name, int SizeMiB) Volume(string node, string instance)
        {
            var rows = Table(Gnt("gnt-node", "volumes", "--no-headers", "--units=m", "--separator=|", "-o", "node,vg,name,size,instance"))
                .Where(r => r[0] == node && r[4] == instance).ToList();
            Assert.HasCount(1, rows, $"{instance}'s volumes on {node}");
            Assert.AreEqual("xenvg", rows[0][1]);
            return (rows[0][2], Number(rows[0][3]));
        }
    }

    private static string Marker(string file)
    {
        var bytes = new byte[19];
        using var stream = File.OpenRead(file);
        stream.ReadExactly(bytes);
        return System.Text.Encoding.ASCII.GetString(bytes);
    }

    private static long AllocatedBytes(string file)
    {
        var run = Host("/", ["stat", "-c", "%b %B", file]);
        var parts = run.Output.Trim().Split(' ');
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * long.Parse(parts[1], CultureInfo.InvariantCulture);
    }
}
