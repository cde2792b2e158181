using McMaster.Extensions.CommandLineUtils;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Commands;

/// <summary>What every command shares: errors printed with their code, Ctrl+C as cancellation.</summary>
public abstract class ToolCommand
{
    protected int OnExecute(CommandLineApplication app, IConsole console)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The first Ctrl+C stops at the next safe point; the state left is one up/down handle.
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(console, cancel.Token);
        }
        catch (VClusterException e)
        {
            foreach (var d in e.Diagnostics)
                console.Error.WriteLine(d.ToString());
            return 1;
        }
        catch (OperationCanceledException)
        {
            console.Error.WriteLine("vcluster: interrupted; run the command again, or 'dotnet vcluster down', to continue from here");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    protected abstract int Run(IConsole console, CancellationToken cancellation);
}

/// <summary>A command that works on a generated cluster.</summary>
public abstract class ClusterCommand : ToolCommand
{
    [Option("-m|--manifest <PATH>", Description = "The cluster's vcluster.json (default: the cluster of the project in this folder or above).")]
    public string? Manifest { get; set; }

    [Option("-c|--cluster <NAME>", Description = "Which of the clusters found from this folder (when there are several).")]
    public string? Cluster { get; set; }

    /// <summary>--manifest, else the cluster the build left in this folder or a parent (ClusterDirectory).</summary>
    protected string ManifestPath => ClusterDirectory.Choose(Directory.GetCurrentDirectory(), Manifest, Cluster);

    protected ClusterManifest LoadManifest() => ClusterManifest.Load(ManifestPath);

    /// <summary>This machine's processes: the one host every command works through.</summary>
    protected static IProcessHost Host { get; } = new LinuxHost();

    /// <summary>The cluster as this command works on it; a command with options of its own (up's timeout) says so here.</summary>
    protected virtual ClusterSession Session(ClusterManifest manifest, IConsole console) => new(manifest, Host, console.Out);

    protected ClusterRuntime Runtime(ClusterManifest manifest, IConsole console) => new(Session(manifest, console));
}

/// <summary>A command that changes a cluster: one at a time per cluster.</summary>
public abstract class MutatingCommand : ClusterCommand
{
    [Option("--wait <SECONDS>", Description = "If another vcluster command works on this cluster, wait this long for it (default: 0, refuse at once).")]
    public int WaitSeconds { get; set; }

    protected sealed override int Run(IConsole console, CancellationToken cancellation)
    {
        var manifest = LoadManifest();
        using var _ = ClusterLock.Acquire(manifest.Root, GetType().Name, TimeSpan.FromSeconds(WaitSeconds), cancellation);
        return Run(manifest, Runtime(manifest, console), console, cancellation);
    }

    protected abstract int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation);
}
