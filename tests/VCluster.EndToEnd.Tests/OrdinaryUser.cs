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

    /// <summary>Debian's PATH for an ordinary user (/etc/profile): no /usr/sbin, no /sbin.</summary>
    public const string DebianUserPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";

    /// <summary>
    /// The test user's PATH: Debian's, and the .NET SDK's folder where the machine's dotnet is
    /// not in one of its folders (a user who installed it so has added it to their own).
    /// </summary>
    public static string UserPath { get; } = WithDotnet(DebianUserPath);

    [AssemblyInitialize]
    public static void Prepare(TestContext _)
    {
        // Short paths: Unix socket paths of the nodes must fit in 107 bytes.
        WorkDirectory = Directory.CreateTempSubdirectory("vce").FullName;
        File.SetUnixFileMode(WorkDirectory, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Feed);
        // A home of its own that only its owner may enter, as adduser makes one on Debian 12.
        Directory.CreateDirectory(Home);
        File.SetUnixFileMode(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pack = Host(RepositoryRoot, ["dotnet", "pack", Path.Combine(RepositoryRoot, "sdk/VCluster.Sdk/VCluster.Sdk.csproj"), "-c", "Release", "-o", Feed, "-nodeReuse:false"]);
        Assert.AreEqual(0, pack.ExitCode, pack.ToString());
        if (IsRoot)
        {
            if (Host("/", ["id", Name]).ExitCode != 0)
                Assert.AreEqual(0, Host("/", ["useradd", "--create-home", "--shell", "/bin/bash", Name]).ExitCode);
            GiveSubordinateIds();
            Assert.AreEqual(0, Host("/", ["chown", "-R", $"{Name}:{Name}", WorkDirectory]).ExitCode);
        }
    }

    /// <summary>
    /// Subordinate user and group ids, as Debian's adduser gives every new user when
    /// /etc/subuid exists: mmdebstrap --mode=unshare (GanetiReleaseTests) maps a release's
    /// users into them. A range after every one already given.
    /// </summary>
    private static void GiveSubordinateIds()
    {
        static IEnumerable<string> Lines(string file) => File.Exists(file) ? File.ReadLines(file) : [];
        if (Lines("/etc/subuid").Any(l => l.StartsWith(Name + ":", StringComparison.Ordinal)) &&
            Lines("/etc/subgid").Any(l => l.StartsWith(Name + ":", StringComparison.Ordinal)))
            return;
        var first = Lines("/etc/subuid").Concat(Lines("/etc/subgid")).Select(l => l.Split(':'))
            .Where(f => f.Length == 3 && long.TryParse(f[1], out _) && long.TryParse(f[2], out _))
            .Select(f => long.Parse(f[1]) + long.Parse(f[2])).Append(100_000L).Max();
        var range = $"{first}-{first + 65_535}";
        var given = Host("/", ["usermod", "--add-subuids", range, "--add-subgids", range, Name]);
        Assert.AreEqual(0, given.ExitCode, given.ToString());
    }

    private static readonly List<string> ElsewhereRepositories = [];

    /// <summary>The test user's home on the machine: the created user's as root, else the running user's own.</summary>
    public static string UsersOwnHome => IsRoot ? $"/home/{Name}" : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    [AssemblyCleanup]
    public static void Cleanup()
    {
        // A failed test may have left a cluster up: kill whatever runs as the test user in there.
        // The tool lives in the work directory's package cache, which goes last.
        var tool = Directory.Exists(Path.Combine(PackageCache, "vcluster.sdk")) ? ToolDll : null;
        foreach (var root in ElsewhereRepositories.Append(WorkDirectory))
        {
            // A node's /etc overlay leaves overlayfs' work folder with mode 000: not a place to look.
            var everywhere = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
            foreach (var manifest in Directory.EnumerateFiles(root, "vcluster.json", everywhere).Where(_ => tool is not null))
                As(Path.GetDirectoryName(manifest)!, ["dotnet", "exec", tool!, "down", "--manifest", manifest]);
            DeleteTree(root);
        }
    }

    /// <summary>Deletes a folder tree made by a cluster's user (the engine's removal, which copes with overlayfs' work folder).</summary>
    public static void DeleteTree(string root)
    {
        try
        {
            VCluster.Engine.Layout.TreeRemoval.Delete(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Something of another user's in there (root's test runs): left for the OS's temp cleaning.
        }
    }

    /// <summary>A repository of the test user that uses the SDK from the local feed.</summary>
    public static string NewRepository(string projectXml, bool inUsersHome = false, bool deep = false)
    {
        // In the user's home (as root, the created user's), as most users' repositories are:
        // Ganeti forbids file storage under /home, and the sandbox sees it (but not the
        // machine's /tmp, which is its own). Deep: as deep as CI checkouts lie, far beyond
        // what Unix socket paths could hold under the root.
        var parent = inUsersHome ? UsersOwnHome : WorkDirectory;
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

    /// <summary>A new repository with <paramref name="projectXml"/>, its cluster brought up by the user's build (`dotnet build -t:VClusterUp`).</summary>
    public static string UpRepository(string projectXml)
    {
        var repo = NewRepository(projectXml);
        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        return repo;
    }

    /// <summary>The tool as the SDK package ships it (restored by the first build).</summary>
    public static string ToolDll => Directory.GetFiles(Path.Combine(PackageCache, "vcluster.sdk"), "dotnet-vcluster.dll", SearchOption.AllDirectories).Single();

    public static Run Tool(string repository, params string[] args) =>
        As(repository, ["dotnet", "exec", ToolDll, args[0], "--manifest", Path.Combine(repository, ".vcluster/cluster/vcluster.json"), .. args[1..]]);

    public static Run ToolRaw(string repository, params string[] args) => As(repository, ["dotnet", "exec", ToolDll, .. args]);

    /// <summary>
    /// Runs <paramref name="command"/> as the test user, in Debian's default environment for an
    /// ordinary user (its PATH, a home of its own, umask 022) and nothing of the caller's (as
    /// root, CI's shell has /usr/sbin on PATH and other things no user has), but for what the
    /// tests pass on purpose: a package cache of this run's (a re-packed SDK of the same
    /// version would be served stale from a shared one) and the .NET CLI's quiet switches.
    /// </summary>
    public static Run As(string workingDirectory, IReadOnlyList<string> command, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null, string umask = "022")
    {
        var user = IsRoot ? Name : Environment.UserName;
        var variables = new Dictionary<string, string>
        {
            ["HOME"] = Home,
            ["USER"] = user,
            ["LOGNAME"] = user,
            ["SHELL"] = "/bin/bash",
            ["PATH"] = UserPath,
            ["NUGET_PACKAGES"] = PackageCache,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            variables[key] = value;
        IReadOnlyList<string> inUsersEnvironment =
            ["env", "-i", .. variables.Select(e => $"{e.Key}={e.Value}"), "/bin/sh", "-c", $"umask {umask} && exec \"$@\"", "sh", .. command];
        return Host(workingDirectory, IsRoot ? ["runuser", "-u", Name, "--", .. inUsersEnvironment] : inUsersEnvironment, timeout);
    }

    private static string WithDotnet(string path)
    {
        var dotnet = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists);
        if (dotnet is null || path.Split(':').Any(d => File.Exists(Path.Combine(d, "dotnet"))))
            return path;
        return $"{path}:{Path.GetDirectoryName(dotnet)}";
    }

    /// <summary>
    /// The cluster's live processes: those in its sandbox (<paramref name="userNamespace"/>, as
    /// "user:[4026532281]") and those outside whose command line names its root (the RAPI
    /// forwarder, the sandbox's unshare), whoever runs them: another cluster of the same user,
    /// a test running at the same time, is not this one's. A zombie runs nothing and holds
    /// nothing but its pid, so it does not count.
    /// </summary>
    public static string ClusterProcesses(string clusterRoot, string userNamespace)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
                    continue;
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                var inSandbox = new FileInfo(Path.Combine(dir, "ns/user")).LinkTarget == userNamespace;
                if (inSandbox || args.Contains(clusterRoot, StringComparison.Ordinal))
                    found.Add($"{Path.GetFileName(dir)} {args}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's that this one may not read: not this cluster's.
            }
        }
        return string.Join('\n', found);
    }

    /// <summary>The user namespace of a running cluster's sandbox, from its <c>status --json</c>.</summary>
    public static string SandboxUserNamespace(Run status)
    {
        Assert.AreEqual(0, status.ExitCode, status.ToString());
        var pid = System.Text.Json.Nodes.JsonNode.Parse(status.Output)!["sandboxPid"]!.GetValue<int>();
        return new FileInfo($"/proc/{pid}/ns/user").LinkTarget!;
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
