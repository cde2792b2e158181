using System.Diagnostics;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Phases;

namespace VCluster.Tool.Runtime;

/// <summary>
/// <c>dotnet vcluster failover</c>: Ganeti's own <c>gnt-cluster master-failover</c>, run on the
/// new master as an operator would run it there; with <c>--no-voting</c> after the master
/// died (<c>kill-node</c>). Nothing of the tool's moves the master: it follows Ganeti's ssconf
/// (<see cref="ClusterRoles"/>), and so do status, the RAPI forwarder and the next up.
/// </summary>
public sealed class MasterFailover(ClusterSession session)
{
    public int Run(RuntimeState state, string? target, bool noVoting, CancellationToken cancellation)
    {
        var manifest = session.Manifest;
        var roles = session.Roles();
        var nodes = session.Nodes(state);
        bool Runs(ManifestNode node) => nodes.Running(node.Daemons.Single(d => d.Name == "ganeti-noded")) is not null;
        if (target is not null && manifest.Nodes.All(n => n.Name != target))
            throw Refused($"no node {target} in cluster '{manifest.Name}'");
        var node = target is not null ? manifest.Node(target)
            : manifest.Nodes.FirstOrDefault(n => n.Name != roles.Master && roles.Candidates.Contains(n.Name) && Runs(n))
              ?? throw Refused($"no master candidate but the master {roles.Master} runs");
        if (node.Name == roles.Master)
            throw Refused($"{node.Name} is the master already");
        if (!roles.Candidates.Contains(node.Name))
            throw Refused($"{node.Name} is not a master candidate; make it one with: dotnet vcluster exec {roles.Master} -- gnt-node modify -C yes {node.Name}");
        if (!Runs(node))
            throw Refused($"{node.Name} is not running; start it with: dotnet vcluster start-node {node.Name}");

        var clock = Stopwatch.StartNew();
        string[] command = noVoting ? ["gnt-cluster", "master-failover", "--no-voting", "--yes-do-it"] : ["gnt-cluster", "master-failover"];
        session.Step($"{node.Name}: {string.Join(' ', command)}");
        var result = nodes.RunOnNode(node, command, "master-failover", TimeSpan.FromMinutes(5), cancellation, check: false);
        if (session.Roles().Master != node.Name)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.FailoverFailed,
                $"gnt-cluster master-failover on {node.Name} left {session.Roles().Master} the master (exit {result.ExitCode}): {result.Tail(10)}"));
        // With --no-voting Ganeti warns (and exits 1) when it cannot reach the old master: shown, not fatal.
        if (!result.Succeeded || result.Output.Trim().Length > 0)
            session.Progress.WriteLine($"Ganeti (exit {result.ExitCode}): {result.Tail(10)}");
        nodes.WaitReady(session.ReadyTimeout, cancellation);
        ReadinessPhase.Track(session, state);
        state.Save(manifest.Root);
        session.Progress.WriteLine($"master: {roles.Master} -> {node.Name} ({clock.Elapsed.TotalSeconds:F1} s)");
        return 0;
    }

    /// <summary>
    /// After an old master comes back as a non-master (start-node), its ssconf still names
    /// itself: Ganeti's manual (gnt-cluster(8), master-failover) says to run
    /// <c>gnt-cluster redist-conf</c> then; the tool does, on the master.
    /// </summary>
    public void RedistributeTo(RuntimeState state, ManifestNode node, CancellationToken cancellation)
    {
        var roles = session.Roles();
        if (ClusterRoles.MasterNamedBy(node) is not { } named || named == roles.Master || !roles.Members.Contains(node.Name))
            return;
        session.Step($"{node.Name} names {named} as its master, the cluster {roles.Master}: gnt-cluster redist-conf on {roles.Master}");
        session.Nodes(state).RunOnNode(session.Manifest.Node(roles.Master), ["gnt-cluster", "redist-conf"], "redist-conf", TimeSpan.FromMinutes(5), cancellation);
    }

    private static VClusterException Refused(string message) => new(new VClusterDiagnostic(ErrorCodes.FailoverFailed, message));
}
