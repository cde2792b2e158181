using System.Diagnostics;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Engine.Rendering;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>Generation against the Ganeti installed on this machine (Debian's ganeti-3.0).</summary>
[TestClass]
public sealed class GenerationTests
{
    private static GenerationResult Generate(TempDir dir, ClusterSpec? spec = null) =>
        ClusterGenerator.Generate(spec ?? new ClusterSpec { Root = dir.Combine("c") }, Options(dir.Combine("cache")));

    /// <summary>Runs Python as <paramref name="node"/>'s processes run, inside a sandbox's view of the cluster.</summary>
    private static string RunPython(ClusterPlan plan, NodePlan node, string code)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(code);
        start.Environment["GANETI_ROOTDIR"] = node.SandboxRoot;
        start.Environment["GANETI_HOSTNAME"] = node.Name;
        using var process = StartInSandbox(plan, start);
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, error);
        return output.Trim();
    }

    [TestMethod]
    public void NodesImportTheirOwnConstants()
    {
        using var dir = new TempDir();
        var result = Generate(dir);
        var node2 = result.Plan.Nodes[1];
        var share = Path.Combine(node2.Prefix, "share/ganeti/3.0");

        var output = RunPython(result.Plan, node2,
            $"import sys; sys.path.insert(0, '{share}'); from ganeti import constants, pathutils; " +
            "print(pathutils.DAEMON_UTIL); print(constants.DEV_CONSOLE); print(constants.OS_SEARCH_PATH[0]); " +
            "print(pathutils.DATA_DIR); print(constants.ENABLE_METAD); print(constants.CONFD_USER)");

        var lines = output.Split('\n');
        Assert.AreEqual(Path.Combine(node2.Prefix, "lib/ganeti/daemon-util"), lines[0]);
        Assert.AreEqual(Path.Combine(node2.SandboxRoot, "dev/console"), lines[1]);
        Assert.AreEqual(Path.Combine(result.Plan.SandboxRoot, "os"), lines[2]);
        Assert.AreEqual(node2.SandboxRoot + "/var/lib/ganeti", lines[3]);
        Assert.AreEqual("False", lines[4]);
        Assert.AreEqual("gnt-confd", lines[5], "installed values stay");
    }

    [TestMethod]
    public void NodesReportTheirDeclaredResourcesNotTheMachines()
    {
        using var dir = new TempDir();
        var result = Generate(dir, new ClusterSpec
        {
            Root = dir.Combine("c"),
            Nodes = [new NodeSpec { Name = "big", MemoryMiB = "8192", Cpus = "8", DiskGiB = "200" }, new NodeSpec { Name = "small", MemoryMiB = "1024", Cpus = "2" }],
        });
        foreach (var (node, memory, cpus) in new[] { (result.Plan.Nodes[0], 8192, 8), (result.Plan.Nodes[1], 1024, 2) })
        {
            var share = Path.Combine(node.Prefix, "share/ganeti/3.0");
            var output = RunPython(result.Plan, node,
                $"import sys; sys.path.insert(0, '{share}'); from ganeti.hypervisor import hv_fake; " +
                "info = hv_fake.FakeHypervisor().GetLinuxNodeInfo(); " +
                "print(info['memory_total'], info['memory_free'], info['cpu_total']); " +
                "print(hv_fake.FakeHypervisor.GetLinuxNodeInfo('/proc/meminfo')['memory_total'] > 0)");
            var lines = output.Split('\n');
            Assert.AreEqual($"{memory} {memory} {cpus}", lines[0], node.Name);
            Assert.AreEqual("True", lines[1], "explicit files are still read");
        }
        Assert.AreEqual(200, result.Plan.Nodes[0].DiskGiB);
    }

    [TestMethod]
    public void ExportPathsOfOtherNodesAreMovedIntoTheNodesTree()
    {
        using var dir = new TempDir();
        var result = Generate(dir);
        var (node1, node2) = (result.Plan.Nodes[0], result.Plan.Nodes[1]);
        var share = Path.Combine(node2.Prefix, "share/ganeti/3.0");
        var output = RunPython(result.Plan, node2,
            $"import sys; sys.path.insert(0, '{share}'); import ganeti; from ganeti import backend; " +
            $"print(ganeti._vcluster_localize('{node1.SandboxRoot}/var/lib/ganeti/export/i1.new/d0')); " +
            $"print(ganeti._vcluster_localize('/srv/ganeti/export/x')); " +
            "print(backend.ExportInfo.__qualname__)");
        var lines = output.Split('\n');
        Assert.AreEqual($"{node2.SandboxRoot}/var/lib/ganeti/export/i1.new/d0", lines[0]);
        Assert.AreEqual("/srv/ganeti/export/x", lines[1], "paths outside the node trees stay");
        StringAssert.Contains(lines[2], "_vcluster_patch_backend", "noded's backend is the patched one");
    }

    /// <summary>The server's side of the RPC time dilation: noded waits for its client as long as the client may take to connect.</summary>
    [TestMethod]
    public void RpcServersGiveTheirClientTheDilatedTime()
    {
        using var dir = new TempDir();
        var result = Generate(dir, new ClusterSpec { Root = dir.Combine("c"), RpcConnectTimeout = "42" });
        var node2 = result.Plan.Nodes[1];
        var share = Path.Combine(node2.Prefix, "share/ganeti/3.0");
        var output = RunPython(result.Plan, node2,
            $"import sys; sys.path.insert(0, '{share}'); from ganeti.http import server; " +
            "e = server.HttpServerRequestExecutor; print(e.WRITE_TIMEOUT, e.READ_TIMEOUT, e.CLOSE_TIMEOUT)");
        Assert.AreEqual("42 42 1", output, "Ganeti's 10 s raised to the cluster's RPC timeout; the close timeout stays");
    }

    [TestMethod]
    public void FileStorageIsTheSamePathOnEveryNodeWithEachNodesOwnFolderBehindIt()
    {
        using var dir = new TempDir();
        var result = Generate(dir);
        var manifest = ClusterManifest.Load(result.ManifestPath);
        Assert.AreEqual("/srv", manifest.Sandbox.StorageMount);
        Assert.AreEqual("/srv/ganeti/file-storage", manifest.Sandbox.FileStorageDir);
        Assert.AreEqual("/mnt/shared-file-storage", manifest.Sandbox.SharedFolder);
        Assert.IsTrue(Directory.Exists(Path.Combine(result.Plan.Root, "shared-file-storage")));
        var enter = Path.Combine(result.Plan.Root, ".state/lib", NodeEntry.ProgramName);
        Assert.IsTrue(File.GetUnixFileMode(enter).HasFlag(UnixFileMode.UserExecute), "each node's cmd runs it");
        foreach (var node in result.Plan.Nodes)
        {
            Assert.IsTrue(Directory.Exists(node.Root + "/srv/ganeti/file-storage"), node.Name);
            Assert.AreEqual("/srv/ganeti/file-storage\n/srv/ganeti/shared-file-storage",
                string.Join('\n', File.ReadAllLines(node.Root + "/etc/ganeti/file-storage-paths").Where(l => !l.StartsWith('#'))));
            StringAssert.Contains(File.ReadAllText(Path.Combine(node.Root, "cmd")),
                $"\"/mnt/.state/lib/{NodeEntry.ProgramName}\" \\\n    --bind \"/mnt/nodes/{node.Name}/srv\" \"/srv\" \\\n    --bind \"/mnt/shared-file-storage\" \"/srv/ganeti/shared-file-storage\"");
        }
    }

    [TestMethod]
    public void NodeProcessesSkipFsyncUnlessWritesAreDurable()
    {
        using var dir = new TempDir();
        var fast = Generate(dir);
        var node = fast.Plan.Nodes[0];
        const string Dilation = " /mnt/.state/lib/libvcluster-node.so";
        StringAssert.Contains(File.ReadAllText(Path.Combine(node.Root, "cmd")), "export LD_PRELOAD=\"libnss_wrapper.so libeatmydata.so" + Dilation + "\"");
        Assert.AreEqual("libnss_wrapper.so libeatmydata.so" + Dilation, ClusterManifest.Load(fast.ManifestPath).Nodes[0].Environment["LD_PRELOAD"]);

        var durable = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), DurableWrites = true }, Options(dir.Combine("cache")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(node.Root, "cmd")), "export LD_PRELOAD=\"libnss_wrapper.so" + Dilation + "\"");
        Assert.AreEqual("libnss_wrapper.so" + Dilation, ClusterManifest.Load(durable.ManifestPath).Nodes[0].Environment["LD_PRELOAD"]);
    }

    [TestMethod]
    public void WithoutMonitoringNodesAreAsGanetiBuiltWithDisableMonitoring()
    {
        using var dir = new TempDir();
        var monitored = Generate(dir);
        Assert.IsTrue(ClusterManifest.Load(monitored.ManifestPath).Nodes[0].Daemons.Any(d => d.Name == "ganeti-mond"), "Debian's build runs mond");

        var plain = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), Monitoring = false }, Options(dir.Combine("cache")));
        var node = plain.Plan.Nodes[1];
        Assert.IsFalse(ClusterManifest.Load(plain.ManifestPath).Nodes.Any(n => n.Daemons.Any(d => d.Name == "ganeti-mond")));
        StringAssert.Contains(File.ReadAllText(Follow(plain.Plan, HostPrefix(node, "lib/ganeti/daemon-util"))), "[[ \"False\" == True ]]");
        var share = Path.Combine(node.Prefix, "share/ganeti/3.0");
        Assert.AreEqual("False", RunPython(plain.Plan, node, $"import sys; sys.path.insert(0, '{share}'); from ganeti import constants; print(constants.ENABLE_MOND)"));
    }

    [TestMethod]
    public void EntryPointsRunWithTheNodesInstallation()
    {
        using var dir = new TempDir();
        var plan = Generate(dir).Plan;
        var node = plan.Nodes[0];
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-v", Path.Combine(node.Prefix, "sbin/gnt-cluster"), "--version" })
            start.ArgumentList.Add(arg);
        start.Environment["GANETI_ROOTDIR"] = node.SandboxRoot;
        start.Environment["GANETI_HOSTNAME"] = node.Name;
        using var process = StartInSandbox(plan, start);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var imports = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.AreEqual(0, process.ExitCode, imports);
        StringAssert.Contains(stdout.Result, "gnt-cluster (ganeti");
        // The copy's own folder is first on sys.path: the node's package and constants load.
        StringAssert.Contains(imports, Path.Combine(node.Prefix, "share/ganeti/3.0/ganeti/_constants.py"));
        StringAssert.Contains(imports, Path.Combine(node.Prefix, "share/ganeti/3.0/ganeti/__init__.py"));
    }

    [TestMethod]
    public void EveryNodesEntryPointsAreHardLinksOfTheClustersOneCopy()
    {
        using var dir = new TempDir();
        var result = Generate(dir);
        var copy = Path.Combine(result.Plan.Root, ".state/entry-points/3.0/gnt-node");

        Assert.AreEqual(File.ReadAllText("/usr/share/ganeti/3.0/gnt-node"), File.ReadAllText(copy));
        foreach (var node in result.Plan.Nodes)
            Assert.AreEqual(Inode(copy), Inode(HostPrefix(node, "share/ganeti/3.0/gnt-node")), node.Name);
    }

    [TestMethod]
    public void TheGanetiProbeCacheDefaultsToTheUsersCache()
    {
        var saved = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/somewhere/cache");
            Assert.AreEqual("/somewhere/cache/vcluster", GanetiInstallation.UserCacheDirectory());
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Assert.AreEqual(Path.Combine(Environment.GetEnvironmentVariable("HOME")!, ".cache/vcluster"), GanetiInstallation.UserCacheDirectory());
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved);
        }
    }

    [TestMethod]
    public void EnsureDirsLayoutFollowsTheInstalledVersion()
    {
        using var dir = new TempDir();
        var result = Generate(dir);
        var ganeti = GanetiInstallation.Discover("/", dir.Combine("cache"));
        var node = result.Plan.Nodes[2].Root;
        var dirs = ganeti.EnsureDirs.Where(e => e.Kind == "dir").ToList();
        Assert.IsGreaterThan(15, dirs.Count);
        foreach (var entry in dirs)
            Assert.AreEqual((UnixFileMode)entry.Mode, File.GetUnixFileMode(node + entry.Path), entry.Path);
        Assert.AreEqual((UnixFileMode)0b111_101_000, File.GetUnixFileMode(node + "/var/lib/ganeti/queue"));
        Assert.AreEqual((UnixFileMode)0b111_000_000, File.GetUnixFileMode(node + "/var/run/ganeti/crypto"));
        Assert.IsTrue(Directory.Exists(node + "/srv/ganeti/file-storage"));
        StringAssert.Contains(File.ReadAllText(node + "/etc/default/ganeti"), $"NODED_ARGS=\"--no-mlock -b {result.Plan.Nodes[2].Address}\"");
    }

    [TestMethod]
    public void ManifestDescribesNodesAndDaemons()
    {
        using var dir = new TempDir();
        var result = Generate(dir, new ClusterSpec
        {
            Root = dir.Combine("c"),
            Nodes = [new NodeSpec { Name = "alpha" }, new NodeSpec { Name = "beta", Master = "true", MemoryMiB = "1024" }],
            InstanceCount = "2",
        });
        var manifest = ClusterManifest.Load(result.ManifestPath);

        Assert.AreEqual("beta", manifest.Master);
        Assert.AreEqual(ganetiVersion(), manifest.Ganeti.Version);
        Assert.AreEqual(1024, manifest.Node("beta").MemoryMiB);
        var beta = manifest.Node("beta");
        CollectionAssert.IsSubsetOf(new[] { "ganeti-noded", "ganeti-wconfd", "ganeti-luxid", "ganeti-rapi", "ganeti-confd" }, beta.Daemons.Select(d => d.Name).ToArray());
        Assert.AreEqual(1811, beta.Daemons.Single(d => d.Name == "ganeti-noded").Port);
        Assert.AreEqual("/mnt/nodes/beta", beta.SandboxRoot);
        Assert.AreEqual(beta.SandboxRoot, beta.Environment["GANETI_ROOTDIR"]);
        Assert.AreEqual(Path.Combine(result.Plan.Root, "nodes/beta"), beta.Root);
        Assert.AreEqual(beta.Root + "/var/run/ganeti/ganeti-noded.pid", beta.Daemons.Single(d => d.Name == "ganeti-noded").PidFile, "the tool reads pid files on this machine");
        Assert.HasCount(2, manifest.Instances);
        StringAssert.Contains(File.ReadAllText(Path.Combine(result.Plan.Root, ".state/sandbox/hosts")), $"{manifest.Instances[1].Address} inst2");

        static string ganetiVersion() => GanetiInstallation.Discover("/", null).Version;
    }

    [TestMethod]
    public void NameTablesAreSizedForTheCluster()
    {
        // nss_wrapper's default table (100 entries) overflowed at 50 nodes: names stopped resolving.
        using var dir = new TempDir();
        var result = Generate(dir, new ClusterSpec { Root = dir.Combine("c"), Network = "198.18.0.0/15", NodeCount = "60", InstanceCount = "500" });
        var manifest = ClusterManifest.Load(result.ManifestPath);
        Assert.AreEqual("2244", manifest.Nodes[0].Environment["NSS_WRAPPER_MAX_HOSTENTS"]); // 4 * (60 + 500 + 1)
        StringAssert.Contains(File.ReadAllText(Path.Combine(result.Plan.Nodes[0].Root, "cmd")), "NSS_WRAPPER_MAX_HOSTENTS=\"2244\"");
        Assert.HasCount(561, File.ReadAllLines(Path.Combine(result.Plan.Root, ".state/sandbox/hosts")).Where(l => l.Length > 0).ToList());
    }

    [TestMethod]
    public void RemovingANodePrunesItsGeneratedFilesButKeepsItsState()
    {
        using var dir = new TempDir();
        var root = dir.Combine("c");
        Generate(dir, new ClusterSpec { Root = root, NodeCount = "3" });
        var node3 = Path.Combine(root, "nodes/node3");
        File.WriteAllText(node3 + "/var/lib/ganeti/config.data", "{\"state\": 1}");

        var result = Generate(dir, new ClusterSpec { Root = root, NodeCount = "2" });

        Assert.IsGreaterThan(50, result.Layout.Pruned);
        Assert.IsFalse(File.Exists(node3 + "/cmd"));
        Assert.IsFalse(Directory.Exists(node3 + "/prefix"));
        Assert.AreEqual("{\"state\": 1}", File.ReadAllText(node3 + "/var/lib/ganeti/config.data"));
        Assert.DoesNotContain("node3", File.ReadAllText(Path.Combine(root, "vcluster.json")));
    }

    /// <summary>
    /// Ganeti builds ensure-dirs' list partly from sets, whose order follows Python's hash seed:
    /// two probes (the cache key changes whenever a file of the installation does) must still
    /// agree, or generation rewrites files that did not change (seen in CI).
    /// </summary>
    [TestMethod]
    public void TwoProbesOfOneInstallationAgree()
    {
        using var dir = new TempDir();
        var first = GanetiInstallation.Discover("/", dir.Combine("cache1"));
        var second = GanetiInstallation.Discover("/", dir.Combine("cache2"));
        CollectionAssert.AreEqual(first.EnsureDirs.Select(e => e.Path).ToList(), second.EnsureDirs.Select(e => e.Path).ToList());
        Assert.AreEqual(File.ReadAllText(Directory.GetFiles(dir.Combine("cache1")).Single()), File.ReadAllText(Directory.GetFiles(dir.Combine("cache2")).Single()));
    }

    [TestMethod]
    public void SecondGenerationWritesNothing()
    {
        using var dir = new TempDir();
        var first = Generate(dir);
        var record = Path.Combine(first.Plan.Root, LayoutWriter.RecordPath);
        var recorded = File.ReadAllLines(record);
        var manifest = File.ReadAllText(Path.Combine(first.Plan.Root, "vcluster.json"));
        var again = Generate(dir);
        // On failure, say what was written again: record lines and the manifest that changed.
        var changed = File.ReadAllLines(record).Except(recorded).Take(10).ToList();
        var manifestChanged = manifest != File.ReadAllText(Path.Combine(first.Plan.Root, "vcluster.json"));
        Assert.AreEqual(0, again.Layout.Written, $"changed record lines:\n{string.Join('\n', changed)}\nmanifest changed: {manifestChanged}");
        Assert.AreEqual(0, again.Layout.Pruned);
    }

    [TestMethod]
    public void TemplateErrorLeavesTheEarlierGenerationUntouched()
    {
        using var dir = new TempDir();
        var root = dir.Combine("c");
        Generate(dir, new ClusterSpec { Root = root });
        var cmd = Path.Combine(root, "nodes/node1/cmd");
        var before = File.ReadAllText(cmd);
        var broken = dir.Combine("broken.sbn");
        File.WriteAllText(broken, "{{ node.name }\n");

        var e = Assert.ThrowsExactly<VClusterException>(() => Generate(dir, new ClusterSpec
        {
            Root = root,
            NodeCount = "4",
            Templates = [new TemplateSpec { Source = broken, Output = "cmd" }],
        }));

        Assert.AreEqual(ErrorCodes.TemplateSyntax, e.Diagnostics[0].Code);
        Assert.AreEqual(before, File.ReadAllText(cmd));
        Assert.IsFalse(Directory.Exists(Path.Combine(root, "nodes/node4")));
    }

    [TestMethod]
    public void MissingGanetiIsReportedWithTheInstallCommand()
    {
        using var dir = new TempDir();
        var error = SingleError(() => ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c") },
            new GenerationOptions { TemplatesDirectory = TemplatesDirectory, GanetiRoot = dir.Combine("empty") }), ErrorCodes.GanetiNotInstalled);
        StringAssert.Contains(error.Message, "apt-get install ganeti");
    }

    [TestMethod]
    public void AnInstallationUnpackedElsewhereIsUsedThroughItsRoot()
    {
        using var dir = new TempDir();
        // What "dpkg -x" of Ganeti's packages gives: the same tree under another folder.
        var unpacked = dir.Combine("ganeti-root");
        foreach (var part in new[] { "usr/share/ganeti/3.0", "usr/lib/ganeti" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(unpacked, part))!);
            var copy = Process.Start("cp", ["-a", "/" + part, Path.Combine(unpacked, part)]);
            copy.WaitForExit();
            Assert.AreEqual(0, copy.ExitCode);
        }
        Directory.CreateDirectory(Path.Combine(unpacked, "usr/sbin"));
        foreach (var link in Directory.GetFiles("/usr/sbin", "gnt-*").Concat(Directory.GetFiles("/usr/sbin", "ganeti-*")))
            File.CreateSymbolicLink(Path.Combine(unpacked, "usr/sbin", Path.GetFileName(link)), new FileInfo(link).LinkTarget!);

        var result = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c") },
            new GenerationOptions { TemplatesDirectory = TemplatesDirectory, GanetiRoot = unpacked, CacheDirectory = dir.Combine("cache") });

        var manifest = ClusterManifest.Load(result.ManifestPath);
        Assert.AreEqual(Path.Combine(unpacked, "usr/share/ganeti/3.0"), manifest.Ganeti.ShareDir);
        var node = result.Plan.Nodes[0];
        Assert.AreEqual(Path.Combine(unpacked, "usr/lib/ganeti/3.0/usr/sbin/ganeti-luxid"), Follow(result.Plan, HostPrefix(node, "sbin/ganeti-luxid")));
        StringAssert.Contains(File.ReadAllText(HostPrefix(node, "share/ganeti/3.0/ganeti/__init__.py")), $"__path__.append(\"{unpacked}/usr/share/ganeti/3.0/ganeti\")");
        StringAssert.Contains(File.ReadAllText(Follow(result.Plan, HostPrefix(node, "lib/ganeti/daemon-util"))), $"readonly PKGLIBDIR={node.Prefix}/lib/ganeti");

        // It lies under /tmp, which the sandbox replaces with its own: its folder is bound back
        // at its own path (the parent, so that an installation renamed into place shows).
        var setup = File.ReadAllText(Path.Combine(result.Plan.Root, ".state/sandbox/setup"));
        StringAssert.Contains(setup, $"mount -n --bind \"{dir.Path}\" ");
        StringAssert.Contains(setup, $"mkdir -p \"{dir.Path}\"\nmount -n --bind ");
        Assert.IsLessThan(setup.IndexOf($"mkdir -p \"{dir.Path}\"", StringComparison.Ordinal), setup.IndexOf("vcluster-tmp /tmp", StringComparison.Ordinal), "after /tmp is the sandbox's");
        Assert.IsNull(SandboxLayout.ScratchMount("/"));
        Assert.IsNull(SandboxLayout.ScratchMount("/home/u/p/obj/vcluster/ganeti/install"), "outside /tmp the sandbox sees it where it is");
        Assert.AreEqual("/tmp/ganeti", SandboxLayout.ScratchMount("/tmp/ganeti"), "never /tmp itself");
        Assert.AreEqual("/var/tmp/b", SandboxLayout.ScratchMount("/var/tmp/b/install/"));
        var installed = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("d") }, TestSupport.Options(dir.Combine("cache")));
        Assert.IsFalse(File.ReadAllText(Path.Combine(installed.Plan.Root, ".state/sandbox/setup")).Contains("ganeti-root", StringComparison.Ordinal), "Debian's Ganeti is in /usr");
    }

    [TestMethod]
    public void UnsupportedGanetiVersionIsReported()
    {
        using var dir = new TempDir();
        var fake = dir.Combine("root");
        Directory.CreateDirectory(Path.Combine(fake, "usr/share/ganeti/2.16/ganeti"));
        File.WriteAllText(Path.Combine(fake, "usr/share/ganeti/2.16/ganeti/_constants.py"), "VERSION_MAJOR = 2\n");
        var error = SingleError(() => GanetiInstallation.Discover(fake, null), ErrorCodes.GanetiUnsupportedVersion);
        StringAssert.Contains(error.Message, "2.16");
    }
}

[TestClass]
public sealed class GanetiProbeTests
{
    /// <summary>The probe's result is typed: every path a caller reads is a member, and a result without one is refused (a cached one is probed again).</summary>
    [TestMethod]
    public void TheProbeResultIsTypedAndAResultWithoutAPathIsRefused()
    {
        using var dir = new TempDir();
        var ganeti = VCluster.Engine.Ganeti.GanetiInstallation.Discover("/", dir.Path);
        Assert.AreEqual("/var/run/ganeti", ganeti.Paths.RunDir);
        Assert.AreEqual(ganeti.Paths.RunDir, ganeti.Paths.ByName()["runDir"]);
        var cached = Directory.GetFiles(dir.Path, "ganeti-*.json").Single();
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(cached))!;

        json["paths"]!.AsObject().Remove("runDir");

        Assert.ThrowsExactly<System.Text.Json.JsonException>(() => VCluster.Engine.Ganeti.GanetiProbe.Parse(json.ToJsonString()));
        File.WriteAllText(cached, json.ToJsonString());
        Assert.AreEqual("/var/run/ganeti", VCluster.Engine.Ganeti.GanetiInstallation.Discover("/", dir.Path).Paths.RunDir, "probed again");
    }
}

[TestClass]
public sealed class NodeEnvironmentTests
{
    /// <summary>The node environment is defined once: what a node's cmd exports is what the manifest records, no more, no less.</summary>
    [TestMethod]
    public void ANodesCmdExportsExactlyTheEnvironmentTheManifestRecords()
    {
        using var dir = new TempDir();
        var result = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), NodeCount = "2" }, TestSupport.Options(dir.Combine("cache")));
        var manifest = VCluster.Engine.Manifest.ClusterManifest.Load(result.ManifestPath);
        foreach (var node in manifest.Nodes)
        {
            var exports = File.ReadAllLines(Path.Combine(node.Root, "cmd"))
                .Select(l => System.Text.RegularExpressions.Regex.Match(l, "^export ([A-Z_]+)=\"(.*)\"$")).Where(m => m.Success)
                .Select(m => (m.Groups[1].Value, m.Groups[2].Value))
                .Where(e => e.Item1 is not ("VCLUSTER_SANDBOX" or "VCLUSTER_MOUNTS")) // how cmd enters the sandbox and the node's mounts
                .ToList();
            var expected = node.Environment.Select(e => (e.Key, e.Value)).Append(("PATH", string.Join(':', node.Path))).ToList();
            CollectionAssert.AreEquivalent(expected, exports, node.Name);
        }
    }
}
