using System.Diagnostics;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime;

/// <summary>
/// One cluster as the runtime works on it: its manifest (what generation made), the machine's
/// processes, and where progress goes. Every resource and phase works through one.
/// </summary>
public sealed class ClusterSession(ClusterManifest manifest, IProcessHost host, TextWriter progress)
{
    public ClusterManifest Manifest => manifest;
    public IProcessHost Host => host;
    public TextWriter Progress => progress;

    /// <summary>Since the command began: progress lines say when.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>A line per node and daemon, not only summaries.</summary>
    public bool Verbose { get; init; }

    /// <summary>How long daemons and services may take to answer.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a wait for the cluster looks again; null: each wait's own (a process needs time to start; a fake host none).</summary>
    public TimeSpan? PollInterval { get; init; }

    /// <summary>The interval of a wait that would look every <paramref name="usual"/>.</summary>
    public TimeSpan Poll(TimeSpan usual) => PollInterval ?? usual;

    /// <summary>A path of the cluster root's own (<see cref="ClusterRootLayout"/>) on this machine.</summary>
    public string OnHost(string relative) => ClusterRootLayout.On(manifest.Root, relative);

    /// <summary>The same path as the sandbox's processes see it.</summary>
    public string InSandbox(string relative) => ClusterRootLayout.On(manifest.SandboxRoot, relative);

    public RuntimeState? LoadState() => RuntimeState.Load(manifest.Root);

    public NodeControl Nodes(RuntimeState state) => new(this, state);

    /// <summary>The roles Ganeti's own ssconf files name right now.</summary>
    public ClusterRoles Roles() => ClusterRoles.Read(manifest);

    public void Step(string message)
    {
        lock (progress)
            progress.WriteLine($"[{Clock.Elapsed.TotalSeconds,6:F1}s] {message}");
    }
}
