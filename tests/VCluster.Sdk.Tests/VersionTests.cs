using System.Diagnostics;
using System.Text.Json.Nodes;
using static VCluster.Sdk.Tests.SdkFixture;

namespace VCluster.Sdk.Tests;

/// <summary>
/// Every source tree packs its own version (eng/version.sh), so that two checkouts never put
/// different packages under one id and version into the user's NuGet cache, and set-up never
/// has to delete anything there.
/// </summary>
[TestClass]
public sealed class VersionTests
{
    private static string Copy()
    {
        var copy = NewDirectory("version");
        foreach (var part in new[] { "src", "sdk", "templates", "eng", "Directory.Build.props", "Directory.Build.targets", "global.json", "dotnet-tools.json" })
            Assert.AreEqual(0, Run("cp", ["-a", Path.Combine(RepositoryRoot, part), copy]).ExitCode, part);
        // Build output is not a source.
        Run("find", [copy, "-depth", "(", "-name", "bin", "-o", "-name", "obj", ")", "-exec", "rm", "-rf", "{}", ";"]);
        return copy;
    }

    private static string Version(string tree, params string[] args)
    {
        var run = Run(Path.Combine(tree, "eng/version.sh"), args);
        Assert.AreEqual(0, run.ExitCode, run.Output);
        return run.Output.Trim();
    }

    [TestMethod]
    public void TheVersionNamesTheSourcesAndIsPinnedWhereTheRepositoryUsesIt()
    {
        var tree = Copy();
        var first = Version(tree);
        StringAssert.Matches(first, new System.Text.RegularExpressions.Regex(@"^0\.1\.0-c[0-9a-f]{12}$"));
        Assert.AreEqual(first, Version(tree), "the same sources, the same version");
        Assert.AreEqual(Version(RepositoryRoot), first, "build output does not count");

        File.AppendAllText(Path.Combine(tree, "src/VCluster.Tool/Program.cs"), "\n// another checkout's change\n");
        var second = Version(tree, "--pin");
        Assert.AreNotEqual(first, second, "other sources, another version");
        Assert.AreEqual(second, JsonNode.Parse(File.ReadAllText(Path.Combine(tree, "global.json")))!["msbuild-sdks"]!["VCluster.Sdk"]!.GetValue<string>());
        Assert.AreEqual(second, JsonNode.Parse(File.ReadAllText(Path.Combine(tree, "dotnet-tools.json")))!["tools"]!["dotnet-vcluster"]!["version"]!.GetValue<string>());
        Directory.Delete(tree, recursive: true);
    }

    [TestMethod]
    public void TheRepositoryPinsItsOwnVersion()
    {
        // eng/setup.sh pins it; a change to the sources comes with its new pins, as a lock file does.
        var version = Version(RepositoryRoot);
        Assert.AreEqual(version, JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "global.json")))!["msbuild-sdks"]!["VCluster.Sdk"]!.GetValue<string>(),
            "global.json: run eng/setup.sh (or eng/version.sh --pin)");
        Assert.AreEqual(version, JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "dotnet-tools.json")))!["tools"]!["dotnet-vcluster"]!["version"]!.GetValue<string>(),
            "dotnet-tools.json: run eng/setup.sh (or eng/version.sh --pin)");
        Assert.DoesNotContain("rm -rf", File.ReadAllText(Path.Combine(RepositoryRoot, "eng/setup.sh")), "set-up deletes nothing from the package cache");
    }

    private static Result Run(string file, IEnumerable<string> args)
    {
        var (exitCode, output) = VCluster.Tests.Shared.TestProcess.Run(file, args);
        return new Result(exitCode, output);
    }
}
