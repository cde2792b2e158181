using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Model;

[assembly: Parallelize(Scope = ExecutionScope.ClassLevel, Workers = 2)]

namespace VCluster.Engine.Tests;

/// <summary>A fresh folder per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        // Short paths: node sockets must fit in 107 bytes.
        Path = Directory.CreateTempSubdirectory("vct").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class TestSupport
{
    public static string TemplatesDirectory => Path.Combine(AppContext.BaseDirectory, "templates");

    public static GenerationOptions Options(string cacheDir) => new()
    {
        TemplatesDirectory = TemplatesDirectory,
        CacheDirectory = cacheDir,
    };

    /// <summary>The one error a planning or generation step must report.</summary>
    public static VClusterDiagnostic SingleError(Action action, string code)
    {
        var e = Assert.ThrowsExactly<VClusterException>(action);
        var matching = e.Diagnostics.Where(d => d.Code == code).ToList();
        Assert.HasCount(1, matching, $"expected one {code}, got: {e.Message}");
        return matching[0];
    }

    public static ClusterSpec Spec(string root, params NodeSpec[] nodes) => new() { Root = root, Nodes = nodes };

    /// <summary>
    /// Starts <paramref name="start"/> as a node process sees the cluster: in a user and mount
    /// namespace of its own in which the cluster root is mounted where the sandbox mounts it.
    /// </summary>
    public static System.Diagnostics.Process StartInSandbox(ClusterPlan plan, System.Diagnostics.ProcessStartInfo start)
    {
        var command = new List<string> { start.FileName };
        command.AddRange(start.ArgumentList);
        start.FileName = "unshare";
        start.ArgumentList.Clear();
        foreach (var arg in new[] { "--user", "--map-root-user", "--mount", "--propagation", "private", "/bin/sh", "-c",
            "mount -n --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sandbox", plan.Root, plan.SandboxRoot })
            start.ArgumentList.Add(arg);
        foreach (var arg in command)
            start.ArgumentList.Add(arg);
        return System.Diagnostics.Process.Start(start)!;
    }

    /// <summary>A path of the node's install prefix on this machine.</summary>
    public static string HostPrefix(NodePlan node, string relative) => Path.Combine(node.Root, "prefix", relative);

    /// <summary>
    /// Where a generated path leads, following every link as a node would: links name paths
    /// as the sandbox shows the cluster root, which on this machine is the plan's root.
    /// </summary>
    public static string Follow(ClusterPlan plan, string hostPath)
    {
        for (var hops = 0; hops < 40; hops++)
        {
            var parts = hostPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var resolved = "/";
            var changed = false;
            for (var i = 0; i < parts.Length && !changed; i++)
            {
                var next = Path.Combine(resolved, parts[i]);
                if (new FileInfo(next).LinkTarget is { } target)
                {
                    if (target.StartsWith(plan.SandboxRoot + "/", StringComparison.Ordinal))
                        target = plan.Root + target[plan.SandboxRoot.Length..];
                    else if (!Path.IsPathRooted(target))
                        target = Path.GetFullPath(Path.Combine(resolved, target));
                    hostPath = Path.Combine([target, .. parts[(i + 1)..]]);
                    changed = true;
                }
                else
                    resolved = next;
            }
            if (!changed)
                return hostPath;
        }
        throw new IOException($"too many links at '{hostPath}'");
    }

    /// <summary>The inode number: two names with one inode are hard links of one file.</summary>
    public static string Inode(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("stat", ["--format=%i", path]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var inode = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, path);
        return inode;
    }
}
