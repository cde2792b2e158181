using System.Text.Json.Nodes;
using static VCluster.Sdk.Tests.SdkFixture;

namespace VCluster.Sdk.Tests;

[TestClass]
public sealed class SdkTests
{
    private static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Dictionary<string, DateTime> Snapshot(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .ToDictionary(p => p, p => new FileInfo(p).LinkTarget is null ? File.GetLastWriteTimeUtc(p) : DateTime.MinValue);

    [TestMethod]
    public void EmptyDeclarationGeneratesTheDefaultThreeNodeCluster()
    {
        var repo = NewRepository();
        Write(repo, "cluster.proj", """<Project Sdk="VCluster.Sdk" />""");

        var build = Build(repo, "cluster.proj", "-t:VClusterGenerate");

        Assert.AreEqual(0, build.ExitCode, build.Output);
        var root = Path.Combine(repo, ".vcluster/cluster");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "vcluster.json")))!;
        CollectionAssert.AreEqual(new[] { "node1", "node2", "node3" }, manifest["nodes"]!.AsArray().Select(n => n!["name"]!.GetValue<string>()).ToArray());
        Assert.AreEqual("node1", manifest["master"]!.GetValue<string>());
        var node2 = Path.Combine(root, "nodes/node2");
        StringAssert.Contains(File.ReadAllText(Path.Combine(node2, "prefix/share/ganeti/3.0/ganeti/_constants.py")),
            "PKGLIBDIR = \"/mnt/nodes/node2/prefix/lib/ganeti\"");
        Assert.AreEqual((UnixFileMode)0b111_101_000, File.GetUnixFileMode(Path.Combine(node2, "var/lib/ganeti/queue")));
        Assert.AreEqual((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(node2, "cmd")) & (UnixFileMode)0b111_111_111);
        StringAssert.Contains(File.ReadAllText(Path.Combine(node2, "etc/default/ganeti")), "NODED_ARGS=\"--no-mlock -b 192.0.2.3\"");
    }

    [TestMethod]
    public void SecondBuildSkipsGenerationAndTouchesNoFile()
    {
        var repo = NewRepository();
        Write(repo, "cluster.proj", """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterNodeCount>2</VClusterNodeCount></PropertyGroup>
            </Project>
            """);
        Assert.AreEqual(0, Build(repo, "cluster.proj").ExitCode);
        var before = Snapshot(Path.Combine(repo, ".vcluster"));
        VCluster.Tests.Shared.FileClock.WaitPastEverythingIn(Path.Combine(repo, ".vcluster"));

        var second = Build(repo, "cluster.proj");

        Assert.AreEqual(0, second.ExitCode, second.Output);
        StringAssert.Contains(second.Output, "Skipping target \"_VClusterGenerateCore\" because all output files are up-to-date");
        CollectionAssert.AreEquivalent(before.ToList(), Snapshot(Path.Combine(repo, ".vcluster")).ToList());
    }

    [TestMethod]
    public void ANewerInputWithTheSameResultRegeneratesOnceThenSkips()
    {
        var repo = NewRepository();
        var template = Write(repo, "motd.sbn", "node {{ node.name }}\n");
        Write(repo, "cluster.proj", """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterNodeCount>2</VClusterNodeCount></PropertyGroup>
              <ItemGroup><VClusterTemplate Include="motd.sbn" OutputPath="etc/motd" /></ItemGroup>
            </Project>
            """);
        Assert.AreEqual(0, Build(repo, "cluster.proj").ExitCode);
        // As after an SDK update that changes nothing in the output: an input is newer than
        // the last generation's stamp (set back, rather than the input forward: the next
        // generation's stamp must be newer than every input again).
        var stamp = Path.Combine(repo, "obj/vcluster/generated.stamp");
        Assert.IsTrue(File.Exists(stamp), stamp);
        File.SetLastWriteTimeUtc(stamp, File.GetLastWriteTimeUtc(template).AddMinutes(-1));

        var second = Build(repo, "cluster.proj");
        var third = Build(repo, "cluster.proj");

        Assert.AreEqual(0, second.ExitCode, second.Output);
        StringAssert.Contains(second.Output, "0 written");
        Assert.AreEqual(0, third.ExitCode, third.Output);
        StringAssert.Contains(third.Output, "Skipping target \"_VClusterGenerateCore\" because all output files are up-to-date");
    }

    [TestMethod]
    public void ChangingAPropertyRegeneratesAndRemovingANodePrunesIt()
    {
        var repo = NewRepository();
        var project = Write(repo, "cluster.proj", """
            <Project Sdk="VCluster.Sdk">
              <ItemGroup>
                <VClusterNode Include="alpha" />
                <VClusterNode Include="beta" MemoryMiB="2048" />
                <VClusterNode Include="gamma" />
              </ItemGroup>
            </Project>
            """);
        Assert.AreEqual(0, Build(repo, "cluster.proj").ExitCode);
        var root = Path.Combine(repo, ".vcluster/cluster");
        Assert.IsTrue(File.Exists(Path.Combine(root, "nodes/gamma/cmd")));

        File.WriteAllText(project, File.ReadAllText(project).Replace("""<VClusterNode Include="gamma" />""", "")
            .Replace("""MemoryMiB="2048" """, """MemoryMiB="4096" """));
        var second = Build(repo, "cluster.proj");

        Assert.AreEqual(0, second.ExitCode, second.Output);
        Assert.IsFalse(File.Exists(Path.Combine(root, "nodes/gamma/cmd")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(root, "nodes/beta/etc/vcluster/resources.json")), "\"memoryMiB\": 4096");
    }

    [TestMethod]
    public void LayeredOnMicrosoftNetSdkBothBuildsHappen()
    {
        var repo = NewRepository();
        Write(repo, "app.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <Sdk Name="VCluster.Sdk" />
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <VClusterNodeCount>2</VClusterNodeCount>
              </PropertyGroup>
            </Project>
            """);
        Write(repo, "Library.cs", "public static class Library { public static int Answer => 42; }");

        var build = Build(repo, "app.csproj");

        Assert.AreEqual(0, build.ExitCode, build.Output);
        Assert.IsTrue(File.Exists(Path.Combine(repo, "bin/Debug/net10.0/app.dll")), "the .NET SDK's own build still runs");
        Assert.IsTrue(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node2/cmd")), "generation follows it");
        Assert.DoesNotContain("prefix/share", build.Output, "generated Python files are not compiled or globbed");
    }

    [TestMethod]
    public void BadDeclarationsFailWithCodesAndProjectLines()
    {
        var repo = NewRepository();
        var project = Write(repo, "cluster.proj", """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterName>bad_name</VClusterName>
                <VClusterNetwork>192.0.2.0/29</VClusterNetwork>
              </PropertyGroup>
              <ItemGroup>
                <VClusterNode Include="a" Master="true" />
                <VClusterNode Include="a" />
                <VClusterNode Include="b" Master="true" Address="192.0.2.3" />
                <VClusterNode Include="c" Address="192.0.2.3" />
                <VClusterNode Include="d" Address="198.51.100.1" />
                <VClusterNode Include="e_f" />
              </ItemGroup>
            </Project>
            """);

        var build = Build(repo, "cluster.proj");

        Assert.AreNotEqual(0, build.ExitCode);
        string[] expected =
        [
            $"{project}(3,5): error VCS0001:",
            $"{project}(8,5): error VCS0003:",
            $"{project}(9,5): error VCS0008:",
            $"{project}(10,5): error VCS0004:",
            $"{project}(11,5): error VCS0005:",
            $"{project}(12,5): error VCS0002:",
            $"{project}(4,5): error VCS0007:",
        ];
        foreach (var line in expected)
            StringAssert.Contains(build.Output, line);
        Assert.IsFalse(Directory.Exists(Path.Combine(repo, ".vcluster")), "nothing is written for a bad declaration");
    }

    [TestMethod]
    public void DeclaredInstancesGoIntoTheManifestAndTheClustersNames()
    {
        var repo = NewRepository();
        Write(repo, "cluster.proj", """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterInstanceCount>1</VClusterInstanceCount></PropertyGroup>
              <ItemGroup>
                <VClusterInstance Include="db1" Template="file" DiskGiB="2" MemoryMiB="1024" Node="node2" />
                <VClusterInstance Include="web" Count="3" MemoryMiB="256" State="down" />
              </ItemGroup>
            </Project>
            """);

        var build = Build(repo, "cluster.proj", "-t:VClusterGenerate");

        Assert.AreEqual(0, build.ExitCode, build.Output);
        var root = Path.Combine(repo, ".vcluster/cluster");
        var declared = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "vcluster.json")))!["declaredInstances"]!.AsArray();
        CollectionAssert.AreEqual(new[] { "db1", "web1", "web2", "web3" }, declared.Select(i => i!["name"]!.GetValue<string>()).ToArray());
        Assert.AreEqual(("file", 2, "node2", "up"), (declared[0]!["template"]!.GetValue<string>(), declared[0]!["diskGiB"]!.GetValue<int>(),
            declared[0]!["node"]!.GetValue<string>(), declared[0]!["state"]!.GetValue<string>()));
        Assert.AreEqual("down", declared[3]!["state"]!.GetValue<string>());
        // The cluster's DNS answers for them, after the spare name inst1 (.5).
        var hosts = File.ReadAllLines(Path.Combine(root, ".state/sandbox/hosts"));
        CollectionAssert.IsSubsetOf(new[] { "192.0.2.5 inst1", "192.0.2.6 db1", "192.0.2.9 web3" }, hosts);

        // A changed declaration regenerates; a bad one points at its item's line and writes nothing.
        var project = Write(repo, "cluster.proj", """
            <Project Sdk="VCluster.Sdk">
              <ItemGroup>
                <VClusterInstance Include="db1" Template="file" DiskGiB="2" MemoryMiB="1024" Node="node2" />
                <VClusterInstance Include="web" Count="3" MemoryMiB="256" Node="node7" />
              </ItemGroup>
            </Project>
            """);
        var manifest = File.ReadAllText(Path.Combine(root, "vcluster.json"));
        var bad = Build(repo, "cluster.proj", "-t:VClusterGenerate");
        Assert.AreNotEqual(0, bad.ExitCode);
        StringAssert.Contains(bad.Output, $"{project}(4,5): error VCS0036: instance 'web': Node='node7' is not a node of the cluster");
        Assert.AreEqual(manifest, File.ReadAllText(Path.Combine(root, "vcluster.json")), "nothing is written for a bad declaration");
    }

    [TestMethod]
    public void TemplateErrorsNameTheTemplateAndKeepTheEarlierTree()
    {
        var repo = NewRepository();
        var project = Write(repo, "cluster.proj", """<Project Sdk="VCluster.Sdk" />""");
        Assert.AreEqual(0, Build(repo, "cluster.proj").ExitCode);
        var cmd = Path.Combine(repo, ".vcluster/cluster/nodes/node1/cmd");
        var before = File.ReadAllText(cmd);
        var template = Write(repo, "motd.sbn", "Welcome to {{ node.name }}\n{{ node.not_a_value }}\n");
        File.WriteAllText(project, """
            <Project Sdk="VCluster.Sdk">
              <ItemGroup>
                <VClusterTemplate Include="motd.sbn" OutputPath="etc/motd" />
              </ItemGroup>
            </Project>
            """);

        var build = Build(repo, "cluster.proj");

        Assert.AreNotEqual(0, build.ExitCode);
        StringAssert.Contains(build.Output, $"{template}(2,9): error VCS0014:");
        Assert.AreEqual(before, File.ReadAllText(cmd));
        Assert.IsFalse(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/etc/motd")));
    }

    [TestMethod]
    public void ProjectTemplatesAddFilesToEveryNode()
    {
        var repo = NewRepository();
        Write(repo, "motd.sbn", "Welcome to {{ node.name }} ({{ node.address }}) of {{ cluster.name }}, Ganeti {{ ganeti.version }}\n");
        Write(repo, "cluster.proj", """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterName>lab</VClusterName></PropertyGroup>
              <ItemGroup>
                <VClusterTemplate Include="motd.sbn" OutputPath="etc/motd" Mode="0600" />
              </ItemGroup>
            </Project>
            """);

        var build = Build(repo, "cluster.proj");

        Assert.AreEqual(0, build.ExitCode, build.Output);
        var motd = Path.Combine(repo, ".vcluster/lab/nodes/node3/etc/motd");
        StringAssert.StartsWith(File.ReadAllText(motd), "Welcome to node3 (192.0.2.4) of lab, Ganeti 3.0.");
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(motd));
    }

    [TestMethod]
    public void TheToolFindsTheProjectsClusterWhereverItsRootIs()
    {
        var repo = NewRepository();
        var elsewhere = NewDirectory("root");
        Write(repo, "lab.proj", $"""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterName>lab</VClusterName>
                <VClusterRoot>{elsewhere}/lab</VClusterRoot>
                <VClusterNodeCount>2</VClusterNodeCount>
              </PropertyGroup>
            </Project>
            """);
        var build = Build(repo, "lab.proj", "-t:VClusterGenerate");
        Assert.AreEqual(0, build.ExitCode, build.Output);

        // In the project's folder, and below it, without --manifest.
        var status = Tool(repo, "status", "--json");
        Assert.AreEqual(0, status.ExitCode, status.Output);
        Assert.AreEqual(Path.Combine(elsewhere, "lab"), JsonNode.Parse(status.Output)!["root"]!.GetValue<string>());
        var below = Directory.CreateDirectory(Path.Combine(repo, "src/deeper")).FullName;
        StringAssert.Contains(Tool(below, "status").Output, "cluster lab: down");

        // A second cluster in the same folder: the tool names both and takes the one asked for.
        Write(repo, "ci.proj", """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterName>ci</VClusterName><VClusterNodeCount>1</VClusterNodeCount></PropertyGroup>
            </Project>
            """);
        Assert.AreEqual(0, Build(repo, "ci.proj", "-t:VClusterGenerate").ExitCode);
        var ambiguous = Tool(repo, "status");
        Assert.AreEqual(1, ambiguous.ExitCode, ambiguous.Output);
        StringAssert.Contains(ambiguous.Output, "error VCS0028: 2 clusters here:");
        StringAssert.Contains(ambiguous.Output, $"ci ({repo}/.vcluster/ci/vcluster.json)");
        StringAssert.Contains(ambiguous.Output, $"lab ({elsewhere}/lab/vcluster.json)");
        StringAssert.Contains(Tool(repo, "status", "--cluster", "ci").Output, "cluster ci: down");

        // Nowhere near a cluster: what to do.
        var nowhere = Tool(NewDirectory("none"), "status");
        Assert.AreEqual(1, nowhere.ExitCode);
        StringAssert.Contains(nowhere.Output, "error VCS0019: no cluster found");
    }

    [TestMethod]
    public void CleanRemovesGeneratedFilesOnly()
    {
        var repo = NewRepository();
        Write(repo, "cluster.proj", """<Project Sdk="VCluster.Sdk" />""");
        Assert.AreEqual(0, Build(repo, "cluster.proj").ExitCode);
        var state = Path.Combine(repo, ".vcluster/cluster/nodes/node1/var/lib/ganeti/config.data");
        File.WriteAllText(state, "{}");

        var clean = Build(repo, "cluster.proj", "-t:Clean");

        Assert.AreEqual(0, clean.ExitCode, clean.Output);
        Assert.IsFalse(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/cmd")));
        Assert.IsFalse(File.Exists(Path.Combine(repo, ".vcluster/cluster/vcluster.json")));
        Assert.AreEqual("{}", File.ReadAllText(state));
    }
}
