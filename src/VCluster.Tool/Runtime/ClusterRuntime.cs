using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Phases;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime;

/// <summary>
/// Runs a generated cluster's real Ganeti daemons in its sandbox: what the tool's commands do
/// to a cluster, each handed to the type that does it. Everything the tool starts is a
/// resource (<see cref="ClusterResources"/>); <c>up</c> is a list of named phases
/// (<see cref="UpSequence"/>); every process is reached through <see cref="IProcessHost"/>.
/// </summary>
public sealed class ClusterRuntime
{
    private readonly ClusterSession _session;
    private readonly ClusterResources _resources;

    public ClusterRuntime(ClusterSession session)
    {
        _session = session;
        _resources = new ClusterResources(session);
    }

    public ClusterRuntime(ClusterManifest manifest, TextWriter progress) : this(new ClusterSession(manifest, new LinuxHost(), progress))
    {
    }

    public ClusterSession Session => _session;

    private ClusterManifest Manifest => _session.Manifest;

    /// <summary>How long the last up took to create declared instances, if it created any.</summary>
    public TimeSpan? PopulateTime { get; private set; }

    /// <summary>Brings the cluster up from whatever state it is in (<see cref="UpSequence"/>).</summary>
    public int Up(CancellationToken cancellation) => Up(new UpOptions(), cancellation);

    public int Up(UpOptions options, CancellationToken cancellation)
    {
        var up = new UpSequence(_session, _resources, options);
        try
        {
            return up.Run(cancellation);
        }
        finally
        {
            PopulateTime = up.PopulateTime;
        }
    }

    public int Down(CancellationToken cancellation) => new ClusterTeardown(_session, _resources).Down();

    public int Destroy(CancellationToken cancellation) => new ClusterTeardown(_session, _resources).Destroy();

    public ClusterStatus Status() => new ClusterStatusReader(_session, _resources).Read();

    /// <summary>stop-node (SIGTERM) or kill-node (SIGKILL): the node's every process; the cluster's cron leaves it alone until start-node.</summary>
    public int StopNode(string name, bool kill, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var node = _resources.Node(name);
        StoppedNodes.Add(Manifest.Root, node.Node.Name); // no cron on a switched-off machine
        node.Stop(state, kill ? LinuxProcess.SigKill : LinuxProcess.SigTerm);
        _session.Progress.WriteLine(kill ? $"node {name}: every process killed (SIGKILL)" : $"node {name}: stopped");
        return 0;
    }

    public int StartNode(string name, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var node = _resources.Node(name);
        node.Ensure(state, cancellation);
        StoppedNodes.Remove(Manifest.Root, node.Node.Name);
        _session.Nodes(state).WaitReady(_session.ReadyTimeout, cancellation);
        ReadinessPhase.Track(_session, state);
        state.Save(Manifest.Root);
        _session.Progress.WriteLine($"node {name}: started");
        return 0;
    }

    public int Verify() => Commands.Verify();

    /// <summary><c>fault partition|loss|rate|reset</c>: adds a fault to those in force.</summary>
    public int Fault(string kind, IReadOnlyList<string> nodes, IReadOnlyList<string> from, bool oneWay, int amount = 0)
    {
        var state = RequireRunning();
        var faults = new Faults.NetworkFaults(_session);
        var fault = faults.Fault(kind, nodes, from, oneWay, amount);
        faults.Apply(state, [.. state.Faults, fault], kind == Faults.NetworkFault.Reset ? fault : null);
        _session.Progress.WriteLine(fault.Describe());
        return 0;
    }

    /// <summary><c>fault heal</c>: every fault, or those that involve <paramref name="node"/>.</summary>
    public int Heal(string? node)
    {
        var state = RequireRunning();
        if (node is not null && Manifest.Nodes.All(n => n.Name != node))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidFault, $"no node {node} in cluster '{Manifest.Name}'"));
        var healed = state.Faults.Where(p => node is null || p.Involves(node)).ToList();
        new Faults.NetworkFaults(_session).Apply(state, state.Faults.Except(healed).ToList());
        _session.Progress.WriteLine(healed.Count == 0 ? "no fault to heal" : $"healed {healed.Count} fault{(healed.Count == 1 ? "" : "s")}; in force: {state.Faults.Count}");
        return 0;
    }

    public int Burnin(string template, int count, bool parallel, CancellationToken cancellation) => Commands.Burnin(template, count, parallel, cancellation);

    public int Exec(string name, IReadOnlyList<string> command) => Commands.Exec(name, command);

    public int Logs(string name, string? daemon, bool follow, int lines) => Commands.Logs(name, daemon, follow, lines);

    private NodeCommands Commands => new(_session, RequireRunning);

    /// <summary>The state of a cluster whose sandbox runs, else the error that says how to start it.</summary>
    public RuntimeState RequireRunning()
    {
        var state = _session.LoadState();
        if (_resources.Sandbox.Holder(state) is null)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ClusterNotRunning,
                $"cluster '{Manifest.Name}' is not running; start it with: dotnet vcluster up --manifest {Path.Combine(Manifest.Root, ClusterManifest.FileName)}"));
        return state!;
    }
}
