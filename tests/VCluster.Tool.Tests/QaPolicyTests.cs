using System.Reflection;
using System.Text;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Qa;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Phases;

namespace VCluster.Tool.Tests;

/// <summary>The policy of QA's test switches, the plan it gives a cluster, and the configuration QA reads.</summary>
[TestClass]
public sealed class QaPolicyTests
{
    private static string RepositoryRoot => typeof(QaPolicyTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    private static readonly QaCluster WithoutLvm = new(["diskless", "file", "sharedfile"], null, 0);
    private static readonly QaCluster WithLvm = new(["diskless", "file", "sharedfile", "plain"], "xenvg", 1);
    private static readonly QaCluster WithTwoPhysicalVolumes = WithLvm with { PhysicalVolumesPerNode = 2 };

    /// <summary>The switches that need LVM (issue 20): they run with it, and are off with a reason without.</summary>
    private static readonly string[] LvmSwitches =
        ["instance-add-plain-disk", "node-volumes", "cluster-reserved-lvs", "instance-import", "parallel-performance"];

    private static readonly string[] ExclusiveStorageSwitches = ["cluster-exclusive-storage", "exclusive-storage-instance-tests"];

    private static IEnumerable<string> Off(QaCluster cluster) => QaPolicy.Switches.Where(s => !s.RunsOn(cluster)).Select(s => s.Name);

    [TestMethod]
    public void EverySwitchIsNamedOnceAndEveryOneOffHasAReasonWithEvidence()
    {
        Assert.HasCount(QaPolicy.Switches.Count, QaPolicy.Switches.Select(s => s.Name).Distinct().ToList());
        foreach (var off in QaPolicy.Switches.Where(s => s.Off is not null))
        {
            Assert.IsGreaterThan(20, off.Off!.Because.Length, off.Name);
            Assert.IsNotEmpty(off.Off.Evidence, off.Name);
        }
        foreach (var untested in QaPolicy.Untested)
            Assert.IsNotEmpty(untested.Evidence, untested.Name);
        foreach (var untested in QaPolicy.Untested.Where(u => u.Switch))
            Assert.IsTrue(QaPolicy.Named(untested.Name) is { Off: null }, $"{untested.Name}: QA gates it itself, the policy leaves it on as Ganeti's sample does");
    }

    [TestMethod]
    public void LvmDecidesTheSwitchesThatNeedIt()
    {
        CollectionAssert.IsSubsetOf(LvmSwitches.Concat(ExclusiveStorageSwitches).ToList(), Off(WithoutLvm).ToList());
        CollectionAssert.IsSubsetOf(ExclusiveStorageSwitches, Off(WithLvm).ToList(), "one physical volume a node");
        CollectionAssert.AreEquivalent(Off(WithoutLvm).Except(LvmSwitches).ToList(), Off(WithLvm).ToList());
        // Exclusive storage fails in Ganeti 3.0.2 itself (a whole run, 2026-12-05): off however many physical volumes.
        CollectionAssert.AreEquivalent(Off(WithLvm).ToList(), Off(WithTwoPhysicalVolumes).ToList());
        Assert.IsFalse(QaPolicy.Untested.Single(u => u.Name == "TestInstanceCreationRestrictedByDiskTemplates").When.HoldsFor(WithTwoPhysicalVolumes),
            "it returns only while cluster-exclusive-storage runs, which it never does");

        // What stays off on every virtual cluster: DRBD, Ceph, Gluster, hotplug, QA's own defects, RAPI-only blocks.
        foreach (var name in new[] { "instance-add-drbd-disk", "instance-add-rbd", "instance-add-gluster", "instance-device-hotplug", "instance-modify-disks",
                     "instance-device-names", "cluster-burnin", "instance-add-diskless", "instance-communication", "instance-plain-rapi-common-tests",
                     "node-evacuate", "parallel-replace-disks" })
            Assert.Contains(name, Off(WithTwoPhysicalVolumes).ToList());
        // And what the issue found wrongly left out.
        foreach (var name in new[] { "instance-console", "network", "filters", "instance-add-osparams" })
            Assert.DoesNotContain(name, Off(WithoutLvm).ToList());
    }

    [TestMethod]
    public void QaMakesAndDestroysTheClusterOnlyWhenItOwnsIt()
    {
        CollectionAssert.IsSubsetOf(new[] { "create-cluster", "cluster-destroy" }, Off(WithoutLvm).ToList());
        CollectionAssert.AreEquivalent(Off(WithoutLvm).Except(["create-cluster", "cluster-destroy"]).ToList(), Off(WithoutLvm with { OwnCluster = true }).ToList());
    }

    [TestMethod]
    public void ThePlanPutsEverySwitchInOnePart()
    {
        var whole = QaPlan.For(WithoutLvm, null);
        Assert.IsEmpty(whole.LeftOut);
        Assert.IsFalse(whole.Subset);
        var quick = QaPlan.For(WithoutLvm, QaPolicy.Quick);
        CollectionAssert.AreEquivalent(QaPolicy.Quick.ToList(), quick.On.Select(s => s.Name).ToList(), "every quick switch runs on any cluster");
        Assert.AreEqual(QaPolicy.Switches.Count, quick.On.Count + quick.SwitchedOff.Count + quick.LeftOut.Count);
        var named = QaPlan.For(WithoutLvm, ["network", "instance-add-drbd-disk"]);
        Assert.AreEqual("network", named.On.Single().Name);
        Assert.IsTrue(named.SwitchedOff.Any(s => s.Name == "instance-add-drbd-disk"), "named, but off by the policy");

        var error = Assert.ThrowsExactly<VClusterException>(() => QaPlan.For(WithoutLvm, ["network", "netwrok"]));
        Assert.AreEqual(ErrorCodes.UnknownQaSwitch, error.Diagnostics.Single().Code);
        StringAssert.Contains(error.Message, "'netwrok'");
    }

    [TestMethod]
    public void TheQuickSubsetStaysAsCiMeasuredIt()
    {
        // CI's 5-minute budget was measured with exactly these (docs/benchmarks.md): nothing is added.
        CollectionAssert.AreEqual(new[]
        {
            "env", "tags", "cluster-verify", "cluster-info", "cluster-command", "cluster-redist-conf",
            "node-list", "node-info", "node-modify", "group-list", "default-instance-tests", "instance-add-file",
            "instance-list", "instance-info", "instance-shutdown", "instance-reboot", "instance-rename", "job-list",
        }, QaPolicy.Quick.ToList());
    }

    private static ClusterManifest Manifest() => new()
    {
        Name = "lab",
        SandboxRoot = "/mnt",
        Sandbox = new ManifestSandbox { FileStorageDir = "/srv/ganeti/file-storage", SharedFileStorageDir = "/srv/ganeti/shared-file-storage" },
        Nodes =
        [
            new ManifestNode { Name = "node1", Address = "192.0.2.2" },
            new ManifestNode { Name = "node2", Address = "192.0.2.3", Master = true, Environment = { ["HOME"] = "/mnt/nodes/node2/root" } },
        ],
        Instances = [.. Enumerable.Range(1, 6).Select(i => new ManifestInstance($"inst{i}", $"192.0.2.{10 + i}"))],
    };

    /// <summary>As InitOrResumePhase.InitCommand writes it (with LVM).</summary>
    private static readonly string[] Init =
    [
        "gnt-cluster", "init", "--no-etc-hosts", "--no-ssh-init", "--master-netdev=lo", "--enabled-hypervisors=fake",
        "--enabled-disk-templates=diskless,file,sharedfile,plain", "--vg-name=xenvg",
        "--file-storage-dir=/srv/ganeti/file-storage", "--shared-file-storage-dir=/srv/ganeti/shared-file-storage",
        "--nic-parameters=mode=bridged,link=vcbr0", "--specs-nic-count=min=0", "--specs-disk-count=min=0", "--specs-disk-size=min=1",
        "--ipolicy-vcpu-ratio=64", "lab",
    ];

    [TestMethod]
    public void TheClusterIsWhatTheManifestDeclares()
    {
        var manifest = Manifest();
        manifest.DiskTemplates = ["plain", "diskless", "file", "sharedfile"];
        manifest.Lvm = new ManifestLvm { VolumeGroup = "xenvg" };
        manifest.Nodes[0].PhysicalVolumes = 2;
        manifest.Nodes[1].PhysicalVolumes = 3;
        var cluster = QaCluster.Of(manifest, ownCluster: false);
        CollectionAssert.AreEqual(new[] { "plain", "diskless", "file", "sharedfile" }, cluster.DiskTemplates.ToList());
        Assert.AreEqual("xenvg", cluster.VolumeGroup);
        Assert.AreEqual(2, cluster.PhysicalVolumesPerNode, "the fewest of any node");
        Assert.IsTrue(cluster.ExclusiveStorage);
        manifest.Nodes[0].PhysicalVolumes = 1;
        Assert.IsFalse(QaCluster.Of(manifest, false).ExclusiveStorage);
        manifest.Lvm = null;
        Assert.IsFalse(QaCluster.Of(manifest, true).Lvm);
        Assert.IsTrue(QaCluster.Of(manifest, true).OwnCluster);
    }

    [TestMethod]
    public void TheConfigurationNamesTheClusterInVirtualClusterMode()
    {
        var manifest = Manifest();
        var config = QaConfiguration.Build(manifest, QaPlan.For(WithoutLvm, ["cluster-verify", "node-volumes"]), Init);
        Assert.AreEqual("localhost", config["vcluster-master"]!.GetValue<string>());
        Assert.AreEqual("/mnt/nodes", config["vcluster-basedir"]!.GetValue<string>());
        Assert.AreEqual("node2", config["nodes"]![0]!["primary"]!.GetValue<string>(), "the master first");
        Assert.AreEqual("192.0.2.3", config["nodes"]![0]!["secondary"]!.GetValue<string>());
        Assert.HasCount(4, config["instances"]!.AsArray());
        Assert.AreEqual("inst5", config["rename"]!.GetValue<string>());
        Assert.AreEqual("inst6", config["options"]!["burnin-rename"]!.GetValue<string>());
        Assert.IsTrue(config["tests"]!["cluster-verify"]!.GetValue<bool>());
        Assert.IsFalse(config["tests"]!["node-volumes"]!.GetValue<bool>(), "off without LVM even when asked for");
        Assert.IsFalse(config["tests"]!["default"]!.GetValue<bool>(), "a subset runs only what it names");
        Assert.IsFalse(config.ContainsKey("ssh_dir"), "QA makes no keys on a cluster it did not make");

        manifest.Instances.RemoveAt(0);
        var error = Assert.ThrowsExactly<VClusterException>(() => QaConfiguration.Build(manifest, QaPlan.For(WithoutLvm, null), Init));
        StringAssert.Contains(error.Message, "raise VClusterInstanceCount");
    }

    [TestMethod]
    public void AWholeRunStartsFromGanetisSampleAndNamesEverySwitch()
    {
        var config = QaConfiguration.Build(Manifest(), QaPlan.For(WithoutLvm, null), Init);
        var tests = config["tests"]!.AsObject();
        Assert.IsTrue(tests["default"]!.GetValue<bool>(), "as qa-sample.json: a switch nobody names runs");
        Assert.AreEqual(QaPolicy.Switches.Count + 1, tests.Count);
        foreach (var s in QaPolicy.Switches)
            Assert.AreEqual(s.RunsOn(WithoutLvm), tests[s.Name]!.GetValue<bool>(), s.Name);
        Assert.IsNull(config["vg-name"]);
        CollectionAssert.AreEqual(new[] { "diskless", "file", "sharedfile" }, config["enabled-disk-templates"]!.AsArray().Select(t => t!.GetValue<string>()).ToList());
    }

    [TestMethod]
    public void WithLvmQaGetsTheVolumeGroupAndPlain()
    {
        var config = QaConfiguration.Build(Manifest(), QaPlan.For(WithLvm, null), Init);
        Assert.AreEqual("xenvg", config["vg-name"]!.GetValue<string>());
        Assert.Contains("plain", config["enabled-disk-templates"]!.AsArray().Select(t => t!.GetValue<string>()).ToList());
        Assert.Contains("plain", config["convert-disk-templates"]!.AsArray().Select(t => t!.GetValue<string>()).ToList());
        foreach (var name in LvmSwitches)
            Assert.IsTrue(config["tests"]![name]!.GetValue<bool>(), name);
        foreach (var disk in config["disks"]!.AsArray())
            Assert.AreEqual(1, disk!["spindles"]!.GetValue<int>(), "QA requires spindles under exclusive storage");
    }

    [TestMethod]
    public void QasOwnInitIsUpsInit()
    {
        // QA's TestClusterInit (qa_cluster.py 205-286) builds its command from these keys; with
        // them it passes every option of up's init: those it builds itself, the rest as given.
        var config = QaConfiguration.Build(Manifest(), QaPlan.For(WithLvm with { OwnCluster = true }, null), Init);
        var qaInit = new List<string> { "gnt-cluster", "init", "--enabled-hypervisors=" + config["enabled-hypervisors"]!.GetValue<string>(),
            "--enabled-disk-templates=" + string.Join(',', config["enabled-disk-templates"]!.AsArray().Select(t => t!.GetValue<string>())) };
        if (!config["modify_ssh_setup"]!.GetValue<bool>())
            qaInit.Add("--no-ssh-init");
        qaInit.Add("--file-storage-dir=" + config["default-file-storage-dir"]!.GetValue<string>());
        qaInit.Add("--shared-file-storage-dir=" + config["default-shared-file-storage-dir"]!.GetValue<string>());
        qaInit.Add("--vg-name=" + config["vg-name"]!.GetValue<string>());
        qaInit.Add("--master-netdev=" + config["master-netdev"]!.GetValue<string>());
        qaInit.Add("--nic-parameters=" + string.Join(',', config["default-nicparams"]!.AsObject().Select(p => $"{p.Key}={p.Value}")));
        qaInit.AddRange(config["cluster-init-args"]!.AsArray().Select(a => a!.GetValue<string>()));
        qaInit.Add(config["name"]!.GetValue<string>());
        CollectionAssert.AreEquivalent(Init, qaInit);
        Assert.IsTrue(config["tests"]!["create-cluster"]!.GetValue<bool>());
        Assert.IsTrue(config["tests"]!["cluster-destroy"]!.GetValue<bool>());
        Assert.AreEqual("rsa", config["ssh_key_type"]!.GetValue<string>());
        Assert.AreEqual("/mnt/nodes/node2/root/.ssh/", config["ssh_dir"]!.GetValue<string>(), "the master's home");
    }

    [TestMethod]
    public void ForQasOwnClusterUpStartsNoGaneti()
    {
        CollectionAssert.AreEqual(new[] { "sandbox", "services", "uninitialised", "watcher" },
            UpSequence.Phases(new UpOptions(Initialise: false)).Select(p => p.Name).ToList());
        Assert.Contains("init or resume", UpSequence.Phases(new UpOptions()).Select(p => p.Name).ToList());

        var root = Directory.CreateTempSubdirectory("vcluster-qa-own");
        try
        {
            var manifest = new ClusterManifest { Name = "lab", Master = "node1", Nodes = [new ManifestNode { Name = "node1", Master = true, Root = Path.Combine(root.FullName, "node1") }] };
            var data = Directory.CreateDirectory(Path.Combine(root.FullName, "node1/var/lib/ganeti")).FullName;
            UninitialisedPhase.Require(manifest, ClusterRoles.Read(manifest));
            File.WriteAllText(Path.Combine(data, "config.data"), "{}");
            File.WriteAllText(Path.Combine(data, "ssconf_node_list"), "node1\n");
            var error = Assert.ThrowsExactly<VClusterException>(() => UninitialisedPhase.Require(manifest, ClusterRoles.Read(manifest)));
            Assert.AreEqual(ErrorCodes.ClusterInitialised, error.Diagnostics.Single().Code);
            StringAssert.Contains(error.Message, "dotnet vcluster destroy");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>docs/qa.md's tables of switches and of tests that return without testing, as the policy has them.</summary>
    public static (string Switches, string Untested) DocsTables()
    {
        static string Cell(string text) => text.Replace("|", "\\|");
        static string Cite(IEnumerable<QaEvidence> evidence) => string.Join(", ", evidence.Select(e => $"`{e}`"));
        var docs = new StringBuilder();
        docs.AppendLine("| Switch | Runs here | Why not, and where Ganeti's source shows it |");
        docs.AppendLine("|---|---|---|");
        foreach (var s in QaPolicy.Switches)
        {
            var gated = QaPolicy.Untested.FirstOrDefault(u => u.Switch && u.Name == s.Name);
            var (runs, why) = (s.Off, gated) switch
            {
                (null, null) => ("yes", ""),
                (null, { } g) => ("on, but QA skips every test", $"{Cell(g.Because)} ({Cite(g.Evidence)})"),
                ({ } off, _) => (off.When == QaWhen.Always ? "no" : $"off {off.When.Description}", $"{Cell(off.Because)} ({Cite(off.Evidence)})"),
            };
            docs.AppendLine($"| `{s.Name}` | {runs} | {why} |");
        }
        var untested = new StringBuilder();
        untested.AppendLine("| Test | Returns without testing | Why | Evidence |");
        untested.AppendLine("|---|---|---|---|");
        foreach (var u in QaPolicy.Untested.Where(u => !u.Switch))
            untested.AppendLine($"| {u.Name} | {u.When.Description} | {Cell(u.Because)} | {Cite(u.Evidence)} |");
        return (docs.ToString(), untested.ToString());
    }

    [TestMethod]
    public void DocsListEverySwitchAndEveryTestThatTestsNothing()
    {
        var documented = File.ReadAllText(Path.Combine(RepositoryRoot, "docs/qa.md"));
        var (switches, untested) = DocsTables();
        StringAssert.Contains(documented, switches, $"docs/qa.md should hold the policy's switches:\n{switches}");
        StringAssert.Contains(documented, untested, $"docs/qa.md should hold the policy's tests that return without testing:\n{untested}");
    }
}
