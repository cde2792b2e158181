using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace VCluster.Engine.Tests;

/// <summary>
/// templates/cluster/lvm.sbn, the user-space LVM of every node: Ganeti 3.0.2's own LVM code
/// parses what it prints (UserspaceLvm/ganeti_lvm_driver.py), and its text, errors, exit codes,
/// locking, data files and state are those of LVM 2.03. The reference texts were taken from
/// Debian's LVM 2.03.16 on a VG of the same geometry: a 10 GiB disk as two PVs of 5 GiB
/// (1 MiB metadata, then 1279 extents of 4 MiB each).
/// </summary>
[TestClass]
public sealed class UserspaceLvmTests
{
    private const string GanetiLibrary = "/usr/share/ganeti/3.0/ganeti";
    private const string Python = "/usr/bin/python3";
    private const string Pv0 = "/dev/vcluster/pv0";
    private const string Pv1 = "/dev/vcluster/pv1";

    private static string Program => Path.Combine(TestSupport.TemplatesDirectory, "cluster", "lvm.sbn");

    [TestMethod]
    public void GanetisOwnCodeReadsAndChangesTheVolumeGroup()
    {
        using var node = new Node();
        var summary = node.Driver();

        Assert.AreEqual(10232, summary.GetProperty("vgs").GetProperty("xenvg").GetInt32(), "utils.ListVolumeGroups");
        var vg = summary.GetProperty("vg_info")[0];
        Assert.AreEqual(7396.0, vg[0].GetDouble(), "free MiB after disk0 (1124), disk1 (1200) and disk2 (512)");
        Assert.AreEqual(10232.0, vg[1].GetDouble());
        var volumes = summary.GetProperty("volumes");
        Assert.AreEqual("""["1124.00",false,false]""", Compact(volumes.GetProperty("xenvg/disk0")));
        Assert.AreEqual("""["1200.00",false,true]""", Compact(volumes.GetProperty("xenvg/disk1")), "open while listed");
        Assert.AreEqual("""["512.00",false,false]""", Compact(volumes.GetProperty("xenvg/disk2.renamed")));
        Assert.AreEqual("""[["/dev/vcluster/pv0",5116,1980,3136,true],["/dev/vcluster/pv1",5116,856,4260,true]]""",
            Compact(summary.GetProperty("pvs")), "LvmPvStorage.List: name, size, used, free, allocatable");
        Assert.AreEqual(8, summary.GetProperty("node_volumes").GetInt32());
        Assert.AreEqual(10232.0, summary.GetProperty("free_after_remove").GetDouble());
    }

    [TestMethod]
    public void GanetiWithoutLvmSeesNoVolumeGroup()
    {
        using var node = new Node(lvm: "null");
        var summary = node.Driver("off");

        Assert.AreEqual("{}", Compact(summary.GetProperty("vgs")));
        Assert.AreEqual("Can't compute PV info for vg xenvg", summary.GetProperty("create_error").GetString());
        Assert.IsFalse(Directory.Exists(node.Combine("lvm")), "no state without a VG");
    }

    [TestMethod]
    public void ReportsHaveLvmsFormats()
    {
        using var node = new Node();
        node.Ok("  xenvg|10232.00|wz--n-|10232.00\n",
            "vgs", "--noheadings", "--units=m", "--nosuffix", "--separator=|", "-ovg_name,vg_free,vg_attr,vg_size");
        node.Ok("  VG    #PV #LV #SN Attr   VSize VFree\n  xenvg   2   0   0 wz--n- 9.99g 9.99g\n", "vgs");
        node.Ok($"  PV                VG    Fmt  Attr PSize  PFree \n  {Pv0} xenvg lvm2 a--  <5.00g <5.00g\n  {Pv1} xenvg lvm2 a--  <5.00g <5.00g\n", "pvs");
        node.Ok("  xenvg 10232.00\n", "vgs", "--noheadings", "--units", "m", "--nosuffix", "-o", "name,size");
        node.Ok("    2\n", "vgs", "--noheadings", "-o", "pv_count", "xenvg");

        node.Ok("  Logical volume \"lv1\" created.\n", "lvcreate", "-L1G", "-n", "lv1", "xenvg");
        node.Ok("  Using default stripesize 64.00 KiB.\n  Rounding up size to full physical extent 12.00 MiB\n" +
                "  Rounding size 12.00 MiB (3 extents) up to stripe boundary size 16.00 MiB (4 extents).\n" +
                "  Logical volume \"s2\" created.\n", "lvcreate", "-Wn", "-L10m", "-i2", "-ns2", "xenvg");
        node.Ok("  LV   VG    Attr       LSize  Pool Origin Data%  Meta%  Move Log Cpy%Sync Convert\n" +
                "  lv1  xenvg -wi-a-----  1.00g                                                    \n" +
                "  s2   xenvg -wi-a----- 16.00m                                                    \n", "lvs");
        node.Ok($"  xenvg|lv1|-wi-a-----|253|0|4096.00|1|{Pv0}(0)\n  xenvg|s2|-wi-a-----|253|1|4096.00|2|{Pv0}(256),{Pv1}(0)\n",
            "lvs", "--noheadings", "--separator=|", "--units=k", "--nosuffix",
            "-ovg_name,lv_name,lv_attr,lv_kernel_major,lv_kernel_minor,vg_extent_size,stripes,devices");
        node.Ok($"  {Pv0}|xenvg|4084.00|a--|5116.00|lv1\n  {Pv0}|xenvg|4084.00|a--|5116.00|s2\n  {Pv0}|xenvg|4084.00|a--|5116.00|\n" +
                $"  {Pv1}|xenvg|5108.00|a--|5116.00|s2\n  {Pv1}|xenvg|5108.00|a--|5116.00|\n",
            "pvs", "--noheadings", "--nosuffix", "--units=m", "--unbuffered", "--separator=|",
            "-opv_name,vg_name,pv_free,pv_attr,pv_size,lv_name");
        // 1021 extents are 3.988 GiB: "<3.99g", LVM's mark of a value rounded up.
        node.Ok($"  PV                VG    Fmt  Attr PSize  PFree  Start SSize\n" +
                $"  {Pv0} xenvg lvm2 a--  <5.00g <3.99g     0   256\n  {Pv0} xenvg lvm2 a--  <5.00g <3.99g   256     2\n" +
                $"  {Pv0} xenvg lvm2 a--  <5.00g <3.99g   258  1021\n  {Pv1} xenvg lvm2 a--  <5.00g <4.99g     0     2\n" +
                $"  {Pv1} xenvg lvm2 a--  <5.00g <4.99g     2  1277\n", "pvs", "--segments");
        node.Ok("         \n", "lvs", "-o", "tags", "--noheadings", "--nosuffix", "/dev/xenvg/lv1");
        node.Ok("  Logical volume xenvg/lv1 changed.\n", "lvchange", "--addtag", "other", "--addtag", "foo.bar", "/dev/xenvg/lv1");
        node.Ok("  foo.bar,other\n", "lvs", "-o", "tags", "--noheadings", "--nosuffix", "/dev/xenvg/lv1");
        node.Ok("  LV   LSize      \n  lv1  1073741824B\n  s2     16777216B\n", "lvs", "--units=b", "-o", "lv_name,lv_size");
        node.Ok("  LV   LSize\n  lv1  1.07G\n  s2   0.02G\n", "lvs", "--units=G", "-o", "name,size");
        node.Ok("  LV,VG,Attr,LSize,Pool,Origin,Data%,Meta%,Move,Log,Cpy%Sync,Convert\n  lv1,xenvg,-wi-a-----,1024.00m,,,,,,,,\n" +
                "  s2,xenvg,-wi-a-----,16.00m,,,,,,,,\n", "lvs", "--separator=,", "--units", "m");
        node.Ok("  xenvg   2   2   0 wz--n- 9.99g <8.98g\n", "lvm", "vgs", "--noheadings");
    }

    [TestMethod]
    public void ChangesPrintWhatLvmPrints()
    {
        using var node = new Node();
        node.Ok(null, "lvcreate", "-Wn", "-L1G", "-n", "lv1", "xenvg");
        node.Ok("  Logical volume \"lv2\" created.\n", "lvcreate", "-L1000m", "-n", "lv2", "xenvg");
        node.Ok("  Renamed \"lv2\" to \"lv2b\" in volume group \"xenvg\"\n", "lvrename", "xenvg", "lv2", "lv2b");
        node.Ok("  Renamed \"lv2b\" to \"lv2\" in volume group \"xenvg\"\n", "lvrename", "xenvg/lv2b", "xenvg/lv2");
        node.Ok("  Rounding size to boundary between physical extents: 4.00 MiB.\n" +
                "  Size of logical volume xenvg/lv2 changed from 1000.00 MiB (250 extents) to 1004.00 MiB (251 extents).\n" +
                "  Logical volume xenvg/lv2 successfully resized.\n", "lvextend", "-L", "+1m", "/dev/xenvg/lv2");
        node.Fails(5, "  TEST MODE: Metadata will NOT be updated and volumes will not be (de)activated.\n" +
                      "  Insufficient suitable contiguous allocatable extents for logical volume lv1: 25 more required\n",
            "lvextend", "-L", "+102400k", "--test", "--alloc", "contiguous", "/dev/xenvg/lv1");
        node.Ok("  Size of logical volume xenvg/lv1 changed from 1.00 GiB (256 extents) to <1.10 GiB (281 extents).\n" +
                "  Logical volume xenvg/lv1 successfully resized.\n", "lvextend", "-L", "+102400k", "--alloc", "cling", "/dev/xenvg/lv1");
        node.Ok($"  lv1|1024.00|{Pv0}(0)\n  lv1|100.00|{Pv0}(507)\n  lv2|1004.00|{Pv0}(256)\n",
            "lvs", "--noheadings", "--units=m", "--nosuffix", "--separator=|", "-o", "lv_name,seg_size,devices");
        node.Ok($"  Physical volume \"{Pv1}\" changed\n  1 physical volume changed / 0 physical volumes not changed\n",
            "pvchange", "--allocatable", "n", Pv1);
        node.Ok($"  {Pv1}|u--\n", "pvs", "--noheadings", "--separator", "|", "--options", "pv_name,pv_attr", Pv1);
        node.Ok($"  Physical volume {Pv1} not changed\n  0 physical volumes changed / 1 physical volume not changed\n",
            "pvchange", "-x", "n", Pv1);
        node.Ok("  Volume group \"xenvg\" is already consistent.\n", "vgreduce", "--removemissing", "xenvg");
        var (code, output, error) = node.Run("lvreduce", "-f", "-L-4m", "xenvg/lv2");
        Assert.AreEqual(0, code, error);
        Assert.AreEqual("  Size of logical volume xenvg/lv2 changed from 1004.00 MiB (251 extents) to 1000.00 MiB (250 extents).\n" +
                        "  Logical volume xenvg/lv2 successfully resized.\n", output);
        Assert.AreEqual("  WARNING: Reducing active logical volume to 1000.00 MiB.\n  THIS MAY DESTROY YOUR DATA (filesystem etc.)\n", error);
        Assert.AreEqual(1000L << 20, new FileInfo(node.Combine("lvm", "dev", "xenvg", "lv2")).Length);
        node.Fails(5, "  Do you really want to remove active logical volume xenvg/lv2? [y/n]: [n]\n  Logical volume xenvg/lv2 not removed.\n",
            "lvremove", "xenvg/lv2");
        node.Ok("  Logical volume \"lv1\" successfully removed.\n  Logical volume \"lv2\" successfully removed.\n",
            "lvremove", "-f", "xenvg/lv1", "/dev/xenvg/lv2");
        node.Ok("", "lvs");
    }

    [TestMethod]
    public void ErrorsHaveLvmsMessagesAndExitCodes()
    {
        using var node = new Node();
        node.Fails(5, "  Volume group \"xenvg\" has insufficient free space (2558 extents): 25600 required.\n",
            "lvcreate", "-L100G", "-n", "big", "xenvg");
        node.Ok(null, "lvcreate", "-L5000m", "-n", "a", "xenvg");
        // 29 extents per stripe fit beside "a" on pv0: the other 2 x 346 have no second PV.
        node.Fails(5, "  Insufficient suitable allocatable extents for logical volume b: 692 more required\n",
            "lvcreate", "-L3000m", "-i2", "-n", "b", "xenvg");
        node.Fails(5, "  Insufficient free space: 750 extents needed, but only 29 available\n",
            "lvcreate", "-L3000m", "-n", "b", "xenvg", Pv0);
        node.Fails(5, "  Number of stripes (3) must not exceed number of physical volumes (2)\n", "lvcreate", "-L1G", "-i3", "-n", "b", "xenvg");
        node.Fails(5, "  Logical Volume \"a\" already exists in volume group \"xenvg\"\n", "lvcreate", "-L1G", "-n", "a", "xenvg");
        node.Fails(5, "  Volume group \"nosuch\" not found\n  Cannot process volume group nosuch\n", "lvcreate", "-L1G", "-n", "b", "nosuch");
        node.Fails(5, "  Failed to find logical volume \"xenvg/nosuch\"\n", "lvs", "xenvg/nosuch");
        node.Fails(5, "  Failed to find logical volume \"xenvg/nosuch\"\n", "lvremove", "-f", "/dev/xenvg/nosuch");
        node.Fails(5, "  Existing logical volume \"nosuch\" not found in volume group \"xenvg\"\n", "lvrename", "xenvg", "nosuch", "x");
        node.Fails(5, "  Unrecognised field: bogus\n", "lvs", "-o", "bogus");
        node.Fails(3, "lvcreate: unrecognized option '--bogus'\n  Error during parsing of command line.\n", "lvcreate", "--bogus");
        node.Fails(3, "  Can't parse size argument.\n  Invalid argument for --size: 1x\n  Error during parsing of command line.\n",
            "lvcreate", "-L1x", "-n", "b", "xenvg");
        node.Fails(3, "  Names starting \"snapshot\" are reserved. Please choose a different LV name.\n  Run `lvcreate --help' for more information.\n",
            "lvcreate", "-L4m", "-n", "snapshot1", "xenvg");
        node.Fails(3, "  Invalid argument for --addtag: a b\n  Error during parsing of command line.\n", "lvchange", "--addtag", "a b", "xenvg/a");
        node.Fails(5, "  Cannot use /dev/nosuch: device not found\n", "pvs", "/dev/nosuch");
        node.Fails(5, "  New size given (1 extents) not larger than existing size (1250 extents)\n", "lvextend", "-L4m", "xenvg/a");
    }

    [TestMethod]
    public void WithoutLvmTheToolsFindNoVolumeGroup()
    {
        using var node = new Node(lvm: "null");
        node.Ok("", "vgs");
        node.Ok("", "lvs");
        node.Ok("", "pvs", "--noheadings", "--nosuffix", "--units=m", "--separator=|", "-opv_name,vg_name,pv_free,pv_attr,pv_size,lv_name");
        node.Fails(5, "  Volume group \"xenvg\" not found\n  Cannot process volume group xenvg\n", "lvs", "xenvg");
        node.Fails(5, "  Volume group \"xenvg\" not found\n  Cannot process volume group xenvg\n", "lvcreate", "-L1G", "-n", "a", "xenvg");
    }

    [TestMethod]
    public void ParallelCreatesKeepTheMetadataConsistent()
    {
        using var node = new Node();
        var runs = Enumerable.Range(0, 8).Select(i => Task.Run(() => node.Run("lvcreate", "-Wn", "-L100m", $"-nlv{i}", "xenvg"))).ToArray();
        Task.WaitAll(runs);
        foreach (var run in runs)
            Assert.AreEqual(0, run.Result.ExitCode, run.Result.Error);

        var rows = node.Ok(null, "lvs", "--noheadings", "--units=m", "--nosuffix", "--separator=|", "-o", "lv_name,lv_size,devices")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().Split('|')).ToList();
        CollectionAssert.AreEqual(Enumerable.Range(0, 8).Select(i => $"lv{i}").ToArray(), rows.Select(r => r[0]).ToArray());
        Assert.IsTrue(rows.All(r => r[1] == "100.00"));
        var starts = rows.Select(r => int.Parse(Regex.Match(r[2], @"^/dev/vcluster/pv0\((\d+)\)$").Groups[1].Value)).Order().ToArray();
        CollectionAssert.AreEqual(Enumerable.Range(0, 8).Select(i => i * 25).ToArray(), starts, "first fit, no overlap");
        node.Ok("  9432.00\n", "vgs", "--noheadings", "--units=m", "--nosuffix", "-o", "vg_free");
        using var metadata = JsonDocument.Parse(File.ReadAllText(node.Combine("lvm", "metadata.json")));
        Assert.AreEqual(8, metadata.RootElement.GetProperty("vg").GetProperty("lvs").GetArrayLength());
        Assert.AreEqual(0, Directory.GetFiles(node.Combine("lvm"), "*.tmp").Length, "no temp file left");
    }

    [TestMethod]
    public void DataLivesInSparseFilesThatSnapshotsCopy()
    {
        using var node = new Node();
        node.Ok(null, "lvcreate", "-L64m", "-n", "disk", "xenvg");
        var disk = node.Combine("lvm", "dev", "xenvg", "disk");
        Assert.AreEqual(64L << 20, new FileInfo(disk).Length);
        using (var f = new FileStream(disk, FileMode.Open, FileAccess.Write))
            f.Write("before"u8);
        node.Ok("  Logical volume \"disk.snap\" created.\n", "lvcreate", "-L64m", "-s", "-ndisk.snap", "/dev/xenvg/disk");
        using (var f = new FileStream(disk, FileMode.Open, FileAccess.Write))
            f.Write("AFTER!"u8);
        var snapshot = node.Combine("lvm", "dev", "xenvg", "disk.snap");
        Assert.AreEqual("before", File.ReadAllText(snapshot)[..6]);
        Assert.IsTrue(Blocks(snapshot) * 512 < 1 << 20, "the copy stays sparse");
        Assert.IsTrue(Blocks(disk) * 512 < 1 << 20, "the LV is sparse");
        node.Ok("  disk      owi-a-s--- 64.00m              \n  disk.snap swi-a-s--- 64.00m disk     0.00\n",
            "lvs", "--noheadings", "-o", "lv_name,lv_attr,lv_size,origin,snap_percent");
        node.Ok("  xenvg   2   2   1 wz--n- 9.99g <9.87g\n", "vgs", "--noheadings");
        node.Ok($"{64L << 20}\n{64L << 20}\n", "blockdev", "--getsize64", "/dev/xenvg/disk", "/dev/xenvg/disk.snap");
        node.Ok($"{(64L << 20) / 512}\n512\n", "blockdev", "--getsz", "--getss", "/dev/mapper/xenvg-disk");
        node.Ok($"{5L << 30}\n", "blockdev", "--getsize64", Pv0);
        node.Fails(5, "  Snapshot origin volumes can be resized only while inactive: try lvchange -an.\n",
            "lvextend", "-L+4m", "xenvg/disk");

        // Deactivated, an LV leaves /dev/VG as a device-mapper device would.
        node.Ok("", "lvchange", "-an", "/dev/xenvg/disk");
        Assert.IsFalse(File.Exists(disk));
        node.Ok("  owi---s---|-1\n  swi---s---|-1\n", "lvs", "--noheadings", "--separator=|", "-o", "lv_attr,lv_kernel_minor");
        var (code, _, error) = node.Run("blockdev", "--getsize64", "/dev/xenvg/disk");
        Assert.AreEqual(1, code);
        Assert.AreEqual("blockdev: cannot open /dev/xenvg/disk: No such file or directory\n", error);
        node.Ok("", "lvchange", "-ay", "xenvg/disk");
        Assert.AreEqual("AFTER!", File.ReadAllText(disk)[..6]);

        // An open LV shows 'o' and cannot be removed, as LVM refuses to deactivate it.
        using (new FileStream(disk, FileMode.Open, FileAccess.Read))
        {
            node.Ok("  owi-aos---\n", "lvs", "--noheadings", "-o", "lv_attr", "xenvg/disk");
            node.Fails(5, "  Logical volume xenvg/disk in use.\n", "lvremove", "-f", "xenvg/disk");
        }
        node.Ok("  Logical volume \"disk.snap\" successfully removed.\n  Logical volume \"disk\" successfully removed.\n",
            "lvremove", "-f", "xenvg/disk");
        Assert.AreEqual(0, Directory.GetFiles(node.Combine("lvm", "dev", "xenvg")).Length);

        // Anything else goes to the real blockdev.
        (code, _, error) = node.Run("blockdev", "--getsize64", "/dev/null");
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "blockdev:");
    }

    [TestMethod]
    public void TheVolumeGroupPersistsAndKeepsItsSize()
    {
        using var node = new Node();
        node.Ok(null, "lvcreate", "-L1G", "-n", "kept", "xenvg");
        File.WriteAllText(node.Combine("etc", "vcluster", "resources.json"),
            """{"node": "node1", "diskGiB": 40, "lvm": {"volumeGroup": "other", "physicalVolumes": 4}}""");
        node.Ok("  xenvg|2|1|10232.00|9208.00\n", "vgs", "--noheadings", "--units=m", "--nosuffix", "--separator=|",
            "-o", "vg_name,pv_count,lv_count,vg_size,vg_free");
        node.Ok("  kept|1024.00\n", "lvs", "--noheadings", "--units=m", "--nosuffix", "--separator=|", "-o", "lv_name,lv_size");
        using var metadata = JsonDocument.Parse(File.ReadAllText(node.Combine("lvm", "metadata.json")));
        Assert.AreEqual(1, metadata.RootElement.GetProperty("format").GetInt32());
        Assert.AreEqual(Pv0, metadata.RootElement.GetProperty("vg").GetProperty("pvs")[0].GetProperty("name").GetString());
    }

    [TestMethod]
    public void TheTemplateIsTheProgramVerbatim()
    {
        var text = File.ReadAllText(Program);
        Assert.StartsWith("#!/usr/bin/python3 -I\n", text);
        Assert.IsFalse(text.Contains("{{") || text.Contains("}}"), "Scriban would parse it");
        var listed = Regex.Match(text, @"# Commands: ([a-z ]+)\n#\s+([a-z ]+)\n").Groups;
        var tuple = Regex.Match(text, @"COMMANDS = \(([^)]*)\)").Groups[1].Value;
        CollectionAssert.AreEqual((listed[1].Value + " " + listed[2].Value).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Regex.Matches(tuple, "\"([a-z]+)\"").Select(m => m.Groups[1].Value).ToArray());
    }

    [TestMethod]
    public void GenerationLinksExactlyTheProgramsCommands()
    {
        var tuple = Regex.Match(File.ReadAllText(Program), @"COMMANDS = \(([^)]*)\)").Groups[1].Value;
        CollectionAssert.AreEquivalent(Regex.Matches(tuple, "\"([a-z]+)\"").Select(m => m.Groups[1].Value).Where(c => c != "lvm").ToArray(),
            VCluster.Engine.Model.UserspaceLvm.Commands.ToArray());
    }

    [TestMethod]
    public void ReportsOfAFreshVolumeGroupWriteNothingAndGiveTheSameUuids()
    {
        using var node = new Node();
        string Uuids() => node.Ok(null, "vgs", "--noheadings", "-o", "vg_uuid") + node.Ok(null, "pvs", "--noheadings", "-o", "pv_uuid");
        var first = Uuids();
        Assert.AreEqual(first, Uuids());
        node.Ok(null, "lvs");
        Assert.IsFalse(File.Exists(node.Combine("lvm", "metadata.json")), "a report wrote the metadata");

        // The first change writes the volume group that reports showed, with its UUIDs.
        node.Ok(null, "lvcreate", "-L4m", "-n", "lv1", "xenvg");
        Assert.IsTrue(File.Exists(node.Combine("lvm", "metadata.json")));
        Assert.AreEqual(first, Uuids());
    }

    private static string Compact(JsonElement element) => JsonSerializer.Serialize(element);

    private static long Blocks(string path)
    {
        var (code, output) = VCluster.Tests.Shared.TestProcess.Run("stat", ["--format=%b", path]);
        Assert.AreEqual(0, code, output);
        return long.Parse(output.Trim());
    }

    /// <summary>A node's tree (named node1, as Ganeti's vcluster mode wants) with the program's links first on PATH.</summary>
    private sealed class Node : IDisposable
    {
        private readonly TempDir _dir = new();
        private readonly string _bin;

        public Node(string lvm = """{"volumeGroup": "xenvg", "physicalVolumes": 2}""")
        {
            if (!File.Exists(Python))
                Assert.Inconclusive($"{Python} is not installed");
            Root = _dir.Combine("node1");
            Directory.CreateDirectory(Path.Combine(Root, "etc", "vcluster"));
            File.WriteAllText(Path.Combine(Root, "etc", "vcluster", "resources.json"),
                $$"""{"node": "node1", "memoryMiB": 1024, "cpus": 1, "diskGiB": 10, "lvm": {{lvm}}}""");
            _bin = _dir.Combine("bin");
            Directory.CreateDirectory(_bin);
            var program = Path.Combine(_bin, "lvm");
            File.Copy(Program, program);
            File.SetUnixFileMode(program, (UnixFileMode)0b111_101_101);
            var commands = Regex.Match(File.ReadAllText(Program), @"COMMANDS = \(([^)]*)\)").Groups[1].Value;
            foreach (Match m in Regex.Matches(commands, "\"([a-z]+)\""))
                if (m.Groups[1].Value != "lvm")
                    File.CreateSymbolicLink(Path.Combine(_bin, m.Groups[1].Value), "lvm");
        }

        public string Root { get; }

        public string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

        public (int ExitCode, string Output, string Error) Run(string command, params string[] args)
        {
            var start = new ProcessStartInfo(Path.Combine(_bin, command)) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            foreach (var arg in args)
                start.ArgumentList.Add(arg);
            return Start(start);
        }

        /// <summary>Runs a command that must succeed; checks its standard output unless <paramref name="expected"/> is null.</summary>
        public string Ok(string? expected, string command, params string[] args)
        {
            var (code, output, error) = Run(command, args);
            Assert.AreEqual(0, code, $"{command} {string.Join(' ', args)}: {error}");
            if (expected != null)
                Assert.AreEqual(expected, output, $"{command} {string.Join(' ', args)}");
            return output;
        }

        /// <summary>Runs a command that must fail with LVM's exit code, its messages on standard error.</summary>
        public void Fails(int exitCode, string error, string command, params string[] args)
        {
            var result = Run(command, args);
            Assert.AreEqual(exitCode, result.ExitCode, $"{command} {string.Join(' ', args)}: {result.Output}{result.Error}");
            Assert.AreEqual(error, result.Error, $"{command} {string.Join(' ', args)}");
        }

        /// <summary>Ganeti's code through the driver: its JSON summary.</summary>
        public JsonElement Driver(params string[] args)
        {
            if (!Directory.Exists(GanetiLibrary))
                Assert.Inconclusive($"Ganeti 3.0 is not installed ({GanetiLibrary})");
            var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "UserspaceLvm", "ganeti_lvm_driver.py"));
            foreach (var arg in args)
                start.ArgumentList.Add(arg);
            var (code, output, error) = Start(start);
            Assert.AreEqual(0, code, output + error);
            return JsonDocument.Parse(output).RootElement.Clone();
        }

        private (int, string, string) Start(ProcessStartInfo start)
        {
            start.Environment["GANETI_ROOTDIR"] = Root;
            start.Environment["GANETI_HOSTNAME"] = "node1";
            start.Environment["PATH"] = _bin + ":" + Environment.GetEnvironmentVariable("PATH");
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Result, error);
        }

        public void Dispose() => _dir.Dispose();
    }
}
