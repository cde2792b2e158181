using System.Diagnostics;
using System.Reflection;
using System.Text;

[assembly: Parallelize(Scope = ExecutionScope.MethodLevel, Workers = 2)]

namespace VCluster.Sdk.Tests;

/// <summary>
/// Packs the SDK (and the tool) once per test run into a fresh feed, and builds projects
/// against it with a fresh package cache, so a test never sees a stale package.
/// </summary>
[TestClass]
public static class SdkFixture
{
    public static string RepositoryRoot { get; } = typeof(SdkFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string WorkDirectory { get; private set; } = "";
    public static string Feed => Path.Combine(WorkDirectory, "feed");
    public static string PackageCache => Path.Combine(WorkDirectory, "packages");
    public static string SdkVersion { get; private set; } = "";

    [AssemblyInitialize]
    public static void PackOnce(TestContext _)
    {
        WorkDirectory = Directory.CreateTempSubdirectory("vcsdk").FullName;
        Directory.CreateDirectory(Feed);
        var pack = Dotnet(RepositoryRoot, "pack", Path.Combine(RepositoryRoot, "sdk/VCluster.Sdk/VCluster.Sdk.csproj"), "-c", "Release", "-o", Feed, "-nodeReuse:false");
        Assert.AreEqual(0, pack.ExitCode, pack.Output);
        var package = Directory.GetFiles(Feed, "VCluster.Sdk.*.nupkg").Single();
        SdkVersion = Path.GetFileNameWithoutExtension(package)["VCluster.Sdk.".Length..];
    }

    [AssemblyCleanup]
    public static void Cleanup()
    {
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A new folder in the work folder (which the run removes at its end).</summary>
    public static string NewDirectory(string prefix) =>
        Directory.CreateDirectory(Path.Combine(WorkDirectory, $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 8)])).FullName;

    /// <summary>A folder set up like a repository that uses the SDK from the local feed.</summary>
    public static string NewRepository()
    {
        var dir = NewDirectory("r");
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(dir, "global.json"), $$"""
            { "sdk": { "version": "10.0.100", "rollForward": "latestMajor" }, "msbuild-sdks": { "VCluster.Sdk": "{{SdkVersion}}" } }
            """);
        return dir;
    }

    public sealed record Result(int ExitCode, string Output);

    public static Result Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // The test host runs inside MSBuild/dotnet-test: do not leak its MSBuild into the child.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k is "DOTNET_HOST_PATH" or "MSBuildExtensionsPath" or "MSBuildSDKsPath").ToList())
            start.Environment.Remove(key);
        start.Environment["NUGET_PACKAGES"] = PackageCache;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', args)} timed out\n{output}");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, output.ToString());
    }

    /// <summary>dotnet vcluster as the SDK package ships it (restored by a build of the repository).</summary>
    public static Result Tool(string workingDirectory, params string[] args) =>
        Dotnet(workingDirectory, ["exec", Directory.GetFiles(Path.Combine(PackageCache, "vcluster.sdk", SdkVersion), "dotnet-vcluster.dll", SearchOption.AllDirectories).Single(), .. args]);

    public static Result Build(string repository, string project, params string[] extra) =>
        Dotnet(repository, ["build", project, "-nodeReuse:false", "-v:n", .. extra]);
}
