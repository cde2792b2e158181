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

    /// <summary>
    /// stop-node (SIGTERM) or kill-node (SIGKILL): the node's every process; the cluster's cron
    /// leaves it alone until start-node. A killed master's machine takes the cluster IP down
    /// with it, as on hardware: master-failover on another node then finds it free.
    /// </summary>
    public int StopNode(string name, bool kill, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var node = _resources.Node(name);
        var wasMaster = _session.Roles().Master == node.Node.Name;
        StoppedNodes.Add(Manifest.Root, node.Node.Name); // no cron on a switched-off machine
        node.Stop(state, kill ? LinuxProcess.SigKill : LinuxProcess.SigTerm);
        if (kill && wasMaster)
            Sandbox.RemoveAddress(_session.Host, state.Sandbox, Manifest.ClusterAddress);
        _session.Progress.WriteLine(kill ? $"node {name}: every process killed (SIGKILL)" : $"node {name}: stopped");
        return 0;
    }

    /// <summary>
    /// <c>crash</c>: every process of the cluster killed at once (SIGKILL of the sandbox and all
    /// in it), as a power cut of every machine: what was on disk stays, nothing gets to clean
    /// up. The next up resumes the cluster; Ganeti's own recovery does the rest (docs/faults.md).
    /// </summary>
    public int Crash()
    {
        var state = RequireRunning();
        _resources.Sandbox.Stop(state);
        _session.Progress.WriteLine($"cluster '{Manifest.Name}': every process killed at once (SIGKILL), as in a power cut; 'dotnet vcluster up' brings it back");
        return 0;
    }

    /// <summary>start-node: the node's daemons for its role; an old master back after a failover gets the cluster's files.</summary>
    public int StartNode(string name, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var node = _resources.Node(name);
        node.Ensure(state, cancellation);
        StoppedNodes.Remove(Manifest.Root, node.Node.Name);
        _session.Nodes(state).WaitReady(_session.ReadyTimeout, cancellation);
        new MasterFailover(_session).RedistributeTo(state, node.Node, cancellation);
        ReadinessPhase.Track(_session, state);
        state.Save(Manifest.Root);
        _session.Progress.WriteLine($"node {name}: started");
        return 0;
    }

    /// <summary><c>failover [NODE] [--no-voting]</c>: Ganeti's master-failover on a candidate (<see cref="MasterFailover"/>).</summary>
    public int Failover(string? node, bool noVoting, CancellationToken cancellation) =>
        new MasterFailover(_session).Run(RequireRunning(), node, noVoting, cancellation);

    public int Verify() => Commands.Verify();

    /// <summary><c>fault partition|loss|rate|reset|delay</c>: adds a fault to those in force.</summary>
    public int Fault(string kind, IReadOnlyList<string> nodes, IReadOnlyList<string> from, bool oneWay, int amount = 0, int jitter = 0)
    {
        var state = RequireRunning();
        var faults = new Faults.NetworkFaults(_session);
        var fault = faults.Fault(kind, nodes, from, oneWay, amount, jitter);
        faults.Apply(state, [.. state.Faults, fault], kind == Faults.NetworkFault.Reset ? fault : null);
        _session.Progress.WriteLine(fault.Describe());
        return 0;
    }

    /// <summary><c>fault skew NODE SECONDS</c>: the node's clock that far off; its daemons restart to take it.</summary>
    public int Skew(string node, int seconds, CancellationToken cancellation)
    {
        RequireRunning();
        new Faults.ClockSkews(_session).Set(node, seconds);
        Restart(node, cancellation);
        _session.Progress.WriteLine(Faults.ClockSkews.Describe(node, seconds));
        return 0;
    }

    /// <summary><c>fault heal</c>: every fault, or those that involve <paramref name="node"/>; skewed nodes restart with a true clock.</summary>
    public int Heal(string? node, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var healed = new Faults.NetworkFaults(_session).Heal(state, node);
        var unskewed = new Faults.ClockSkews(_session).Clear(node);
        foreach (var name in unskewed)
            Restart(name, cancellation);
        var count = healed.Count + unskewed.Count;
        var left = state.Faults.Count + new Faults.ClockSkews(_session).Skewed().Count;
        _session.Progress.WriteLine(count == 0 ? "no fault to heal" : $"healed {count} fault{(count == 1 ? "" : "s")}; in force: {left}");
        return 0;
    }

    /// <summary>A node's daemons stopped and started again (a running node only: a stopped one takes the change at start-node).</summary>
    private void Restart(string node, CancellationToken cancellation)
    {
        if (StoppedNodes.Read(Manifest.Root).Contains(node))
            return;
        StopNode(node, kill: false, cancellation);
        StartNode(node, cancellation);
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
