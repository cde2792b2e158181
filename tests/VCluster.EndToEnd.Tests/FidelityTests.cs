using System.Globalization;
using System.Text.RegularExpressions;
using static VCluster.EndToEnd.Tests.GanetiOutput;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// Ganeti behaves on a virtual cluster of unequal nodes as on hardware: each node reports its
/// declared size, HTools plan and place by those sizes, every node has its own disk, and
/// Ganeti's own burnin and verify pass. Against real Ganeti 3.0, as an ordinary user, from a
/// repository in the user's home.
/// </summary>
[TestClass]
public sealed partial class FidelityTests
{
    private const string Project = """
        <Project Sdk="VCluster.Sdk">
          <PropertyGroup><VClusterInstanceCount>12</VClusterInstanceCount></PropertyGroup>
          <ItemGroup>
            <VClusterNode Include="big" Master="true" MemoryMiB="8192" Cpus="8" DiskGiB="200" />
            <VClusterNode Include="mid" MemoryMiB="4096" Cpus="4" DiskGiB="100" />
            <VClusterNode Include="small1;small2" MemoryMiB="2048" Cpus="2" DiskGiB="50" />
          </ItemGroup>
        </Project>
        """;

    private static readonly Dictionary<string, (int MemoryMiB, int Cpus, int DiskGiB)> Declared = new()
    {
        ["big"] = (8192, 8, 200),
        ["mid"] = (4096, 4, 100),
        ["small1"] = (2048, 2, 50),
        ["small2"] = (2048, 2, 50),
    };

    [TestMethod]
    [Timeout(1_500_000, CooperativeCancellation = true)]
    public void UnequalNodesBehaveLikeHardware()
    {
        var repo = NewRepository(Project, inUsersHome: true);
        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());

        // Each node reports what the project declares, not the machine's memory, CPUs and disk.
        var nodes = Table(Gnt("gnt-node", "list", "--no-headers", "--units=m", "--separator=|", "-o", "name,mtotal,mfree,ctotal,dtotal,dfree"));
        Assert.HasCount(4, nodes);
        foreach (var row in nodes)
        {
            var (memory, cpus, disk) = Declared[row[0]];
            CollectionAssert.AreEqual(new[] { memory, memory, cpus, VolumeGroupMiB(disk), VolumeGroupMiB(disk) }, row[1..].Select(Number).ToArray(), string.Join('|', row));
        }

        // hspace sees those sizes: totals, the largest node, and a capacity for the standard
        // instance (128 MiB) that keeps the largest node's memory spare (N+1).
        var hspace = Values(Gnt("hspace", "-L", "--machine-readable"));
        Assert.AreEqual("16384", hspace["HTS_CLUSTER_MEM"]);
        Assert.AreEqual("16", hspace["HTS_CLUSTER_CPU"]);
        Assert.AreEqual(Declared.Values.Sum(d => VolumeGroupMiB(d.DiskGiB)).ToString(CultureInfo.InvariantCulture), hspace["HTS_CLUSTER_DSK"]);
        Assert.AreEqual("8192", hspace["HTS_INI_MNODE_MEM_AVAIL"]);
        var capacity = Number(hspace["HTS_ALLOC_INSTANCES"]);
        Assert.IsInRange(48, (16384 - 8192) / 128, capacity, "standard instances hspace can place");

        // hail places by size: 3000 MiB fits only big and mid; 9000 MiB fits no node.
        var placed = Gnt("gnt-instance", "add", "-I", "hail", "-t", "plain", "--disk", "0:size=64m", "-B", "memory=3000M",
            "-o", "noop", "--no-name-check", "--no-ip-check", "inst1");
        var chosen = HailChoice().Match(placed).Groups[1].Value;
        CollectionAssert.Contains(new[] { "big", "mid" }, chosen, placed);
        var tooBig = Tool(repo, "exec", "big", "--", "gnt-instance", "add", "-I", "hail", "-t", "diskless", "-B", "memory=9000M",
            "-o", "noop", "--no-name-check", "--no-ip-check", "inst2");
        Assert.AreNotEqual(0, tooBig.ExitCode, tooBig.ToString());
        StringAssert.Contains(tooBig.Output, "FailMem: 4", tooBig.ToString());

        // The instance's memory and its disk count on its node only; its volume is in that node's tree.
        var after = Table(Gnt("gnt-node", "list", "--no-headers", "--units=m", "--separator=|", "-o", "name,mfree,dfree"));
        foreach (var row in after)
        {
            var (memory, _, disk) = Declared[row[0]];
            var mine = row[0] == chosen;
            Assert.AreEqual(mine ? memory - 3000 : memory, Number(row[1]), $"{row[0]} free memory");
            Assert.AreEqual(mine ? VolumeGroupMiB(disk) - 64 : VolumeGroupMiB(disk), Number(row[2]), $"{row[0]} free disk");
        }
        var cluster = Path.Combine(repo, ".vcluster/cluster");
        foreach (var node in Declared.Keys)
            Assert.AreEqual(node == chosen ? 1 : 0, Directory.GetFiles(Path.Combine(cluster, "nodes", node, "lvm/dev/xenvg")).Length, node);

        // Export of the plain instance to another node, and import as a file instance on a third.
        var exportNode = chosen == "big" ? "mid" : "big";
        Gnt("gnt-backup", "export", "--long-sleep", "-n", exportNode, "inst1");
        StringAssert.Contains(Gnt("gnt-backup", "list", "--no-headers"), "inst1");
        Gnt("gnt-backup", "import", "-t", "file", "-n", "small2", "--src-node", exportNode, "--src-dir", "inst1",
            "--net", "0:mac=generate", "--no-name-check", "--no-ip-check", "inst3");
        StringAssert.Matches(Gnt("gnt-instance", "list", "--no-headers", "-o", "name,pnode,disk_template", "inst3"), ImportedOnSmall2());
        Assert.AreEqual(1, Directory.GetFiles(Path.Combine(cluster, "nodes/small2/srv/ganeti/file-storage/inst3")).Length);
        Gnt("gnt-instance", "remove", "-f", "inst1");
        Gnt("gnt-instance", "remove", "-f", "inst3");

        // hbal computes a plan for an unbalanced cluster and executes it.
        foreach (var name in new[] { "inst4", "inst5", "inst6" })
            Gnt("gnt-instance", "add", "-t", "sharedfile", "--disk", "0:size=16m", "-n", "small1", "-B", "memory=512M",
                "-o", "noop", "--no-name-check", "--no-ip-check", name);
        var hbal = Gnt("hbal", "-L", "-X");
        var improved = ScoreImproved().Match(hbal);
        Assert.IsTrue(improved.Success, hbal);
        Assert.IsLessThan(double.Parse(improved.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(improved.Groups[2].Value, CultureInfo.InvariantCulture), hbal);
        var onSmall1 = Gnt("gnt-instance", "list", "--no-headers", "-o", "name", "--filter", "pnode == \"small1\"");
        Assert.IsLessThan(3, onSmall1.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, "hbal moved instances off small1");
        foreach (var name in new[] { "inst4", "inst5", "inst6" })
            Gnt("gnt-instance", "remove", "-f", name);

        // Ganeti's own burnin, through the SDK's target, leaving out only documented phases.
        var burnin = As(repo, ["dotnet", "build", "-t:VClusterBurnin", "-p:VClusterBurninArguments=-n 2", "-nodeReuse:false"], TimeSpan.FromMinutes(15));
        Assert.AreEqual(0, burnin.ExitCode, burnin.ToString());
        foreach (var phase in new[] { "Creating instances", "Stopping and starting instances", "Failing over instances", "Migrating instances",
                     "Moving instances", "Growing disks", "Reinstalling instances", "Rebooting instances", "Adding and removing NICs",
                     "Activating/deactivating disks", "Renaming instances", "Removing instances" })
            StringAssert.Contains(burnin.Output, "- " + phase, phase);
        StringAssert.Contains(burnin.Output, "burnin -t diskless passed");
        StringAssert.Contains(burnin.Output, "burnin -t file passed");
        var documented = File.ReadAllText(Path.Combine(RepositoryRoot, "docs/burnin.md"));
        foreach (Match leftOut in LeftOut().Matches(burnin.Output))
        {
            foreach (var flag in leftOut.Groups[1].Value.Split(' '))
                StringAssert.Contains(documented, $"(`{flag}`)", $"{flag} is left out but not documented");
        }

        // And afterwards gnt-cluster verify still finds nothing.
        var verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        Assert.AreEqual(0, Tool(repo, "down").ExitCode);

        string Gnt(params string[] command)
        {
            var run = Tool(repo, ["exec", "big", "--", .. command]);
            Assert.AreEqual(0, run.ExitCode, $"{string.Join(' ', command)}\n{run}");
            return run.Output;
        }
    }

    /// <summary>A node's volume group (its disk as Ganeti reports it): DiskGiB less LVM's 1-MiB metadata area, in whole 4-MiB extents.</summary>
    private static int VolumeGroupMiB(int diskGiB) => (diskGiB * 1024 - 1) / 4 * 4;


    private static Dictionary<string, string> Values(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1].Trim());

    [GeneratedRegex(@"Selected nodes for instance inst1 via iallocator hail: (\w+)")]
    private static partial Regex HailChoice();

    [GeneratedRegex(@"inst3\s+small2\s+file")]
    private static partial Regex ImportedOnSmall2();

    [GeneratedRegex(@"Cluster score improved from ([0-9.]+) to ([0-9.]+)")]
    private static partial Regex ScoreImproved();

    [GeneratedRegex(@"left out, see docs/burnin.md: ([^)]+)\)")]
    private static partial Regex LeftOut();
}
