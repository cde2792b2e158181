using System.Diagnostics;
using System.Reflection;
using System.Text;

// Clusters share two cores and one kernel: one at a time.
[assembly: DoNotParallelize]

namespace VCluster.EndToEnd.Tests;

public sealed record Run(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>
/// Runs everything as an ordinary user: as root (CI) it creates one, since the product's
/// promise is "no privileges"; as an ordinary user it is that user.
/// </summary>
[TestClass]
public static class OrdinaryUser
{
    public const string Name = "vcluster-e2e";

    public static string RepositoryRoot { get; } = typeof(OrdinaryUser).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static bool IsRoot => Environment.UserName == "root";
    public static string WorkDirectory { get; private set; } = "";
    public static string Feed => Path.Combine(WorkDirectory, "feed");
    public static string Home => Path.Combine(WorkDirectory, "home");
    public static string PackageCache => Path.Combine(WorkDirectory, "nuget");

    [AssemblyInitialize]
    public static void Prepare(TestContext _)
    {
        // Short paths: Unix socket paths of the nodes must fit in 107 bytes.
        WorkDirectory = Directory.CreateTempSubdirectory("vce").FullName;
        File.SetUnixFileMode(WorkDirectory, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Home);
        var pack = Host(RepositoryRoot, ["dotnet", "pack", Path.Combine(RepositoryRoot, "sdk/VCluster.Sdk/VCluster.Sdk.csproj"), "-c", "Release", "-o", Feed, "-nodeReuse:false"]);
        Assert.AreEqual(0, pack.ExitCode, pack.ToString());
        if (IsRoot)
        {
            if (Host("/", ["id", Name]).ExitCode != 0)
                Assert.AreEqual(0, Host("/", ["useradd", "--create-home", "--shell", "/bin/bash", Name]).ExitCode);
            Assert.AreEqual(0, Host("/", ["chown", "-R", $"{Name}:{Name}", WorkDirectory]).ExitCode);
        }
    }

    private static readonly List<string> ElsewhereRepositories = [];

    [AssemblyCleanup]
    public static void Cleanup()
    {
        // A failed test may have left a cluster up: kill whatever runs as the test user in there.
        // The tool lives in the work directory's package cache, which goes last.
        var tool = Directory.Exists(Path.Combine(PackageCache, "vcluster.sdk")) ? ToolDll : null;
        foreach (var root in ElsewhereRepositories.Append(WorkDirectory))
        {
            foreach (var manifest in Directory.EnumerateFiles(root, "vcluster.json", SearchOption.AllDirectories).Where(_ => tool is not null))
                As(Path.GetDirectoryName(manifest)!, ["dotnet", "exec", tool!, "down", "--manifest", manifest]);
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>A repository of the test user that uses the SDK from the local feed.</summary>
    public static string NewRepository(string projectXml, bool inUsersHome = false, bool deep = false)
    {
        // In the user's home where there is one of its own (as root, the created user's), as
        // most users' repositories are: Ganeti forbids file storage under /home. Deep: as deep
        // as CI checkouts lie, far beyond what Unix socket paths could hold under the root.
        var parent = inUsersHome && IsRoot ? $"/home/{Name}" : WorkDirectory;
        var dir = Path.Combine(parent, deep ? "home/runner/work/vcluster-sdk/vcluster-sdk/samples/ci-stage" : "", $"r{Guid.NewGuid():N}"[..7]);
        Directory.CreateDirectory(dir);
        if (parent != WorkDirectory)
            ElsewhereRepositories.Add(dir);
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <configuration><packageSources><clear /><add key="local" value="{Feed}" /></packageSources></configuration>
            """);
        var version = Path.GetFileNameWithoutExtension(Directory.GetFiles(Feed, "VCluster.Sdk.*.nupkg").Single())["VCluster.Sdk.".Length..];
        File.WriteAllText(Path.Combine(dir, "global.json"), $$"""{ "msbuild-sdks": { "VCluster.Sdk": "{{version}}" } }""");
        File.WriteAllText(Path.Combine(dir, "cluster.proj"), projectXml);
        if (IsRoot)
            Host("/", ["chown", "-R", $"{Name}:{Name}", dir]);
        return dir;
    }

    /// <summary>The tool as the SDK package ships it (restored by the first build).</summary>
    public static string ToolDll => Directory.GetFiles(Path.Combine(PackageCache, "vcluster.sdk"), "dotnet-vcluster.dll", SearchOption.AllDirectories).Single();

    public static Run Tool(string repository, params string[] args) =>
        As(repository, ["dotnet", "exec", ToolDll, args[0], "--manifest", Path.Combine(repository, ".vcluster/cluster/vcluster.json"), .. args[1..]]);

    public static Run ToolRaw(string repository, params string[] args) => As(repository, ["dotnet", "exec", ToolDll, .. args]);

    public static Run As(string workingDirectory, IReadOnlyList<string> command, TimeSpan? timeout = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = Home,
            ["NUGET_PACKAGES"] = PackageCache,
            ["DOTNET_CLI_HOME"] = Home,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        };
        IReadOnlyList<string> full = IsRoot
            ? ["runuser", "-u", Name, "--", "env", "-i", .. environment.Select(e => $"{e.Key}={e.Value}"), .. command]
            : ["env", "-i", .. environment.Select(e => $"{e.Key}={e.Value}"), .. command];
        return Host(workingDirectory, full, timeout);
    }

    public static Run Host(string workingDirectory, IReadOnlyList<string> command, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(command[0]) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"timed out: {string.Join(' ', command)}\n{output}");
        }
        process.WaitForExit();
        lock (output)
            return new Run(process.ExitCode, output.ToString());
    }
}
