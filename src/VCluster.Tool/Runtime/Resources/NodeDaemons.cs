using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime.Resources;

/// <summary>A daemon as status shows it.</summary>
public sealed record DaemonStatus(string Name, ResourceState State, int? Pid, string Address, int Port, string? Protocol, double? UptimeSeconds);

/// <summary>
/// One node's machine: the daemons its current role calls for (Ganeti's ssconf files say
/// which), started with its own daemon-util, and everything else that runs with its identity.
/// </summary>
public sealed class NodeDaemons(ClusterSession session, ManifestNode node) : IClusterResource
{
    public string Name => $"node {node.Name}";

    public ManifestNode Node => node;

    private IProcessHost Host => session.Host;

    public void Ensure(RuntimeState state, CancellationToken cancellation) => Ensure(state, session.Roles(), cancellation);

    /// <summary>Starts the daemons <paramref name="roles"/> (read once for all nodes) call for.</summary>
    public void Ensure(RuntimeState state, ClusterRoles roles, CancellationToken cancellation) =>
        session.Nodes(state).StartDaemons(node, roles.DaemonsOf(node).Select(d => d.Name), cancellation);

    /// <summary>A clean shutdown: SIGTERM, and SIGKILL to what lives after 15 s.</summary>
    public void Stop(RuntimeState state) => Stop(state, LinuxProcess.SigTerm);

    /// <summary>
    /// Stops everything that runs as the node: its daemons and whatever else runs with its
    /// identity (noded's request workers, jobs' helpers), as a stopped or crashed machine keeps
    /// nothing running; a leftover worker would hold the node's port against the next noded.
    /// </summary>
    public void Stop(RuntimeState state, int signal)
    {
        var targets = node.Daemons.AsEnumerable().Reverse()
            .Select(d => Host.OfDaemon(d, state.SandboxUserNamespace, state.SandboxProc)).OfType<LinuxProcess>()
            .Concat(Host.InUserNamespace(state.SandboxUserNamespace)
                .Where(p => p.Pid != state.SandboxPid && Host.HasEnvironment(p, "GANETI_HOSTNAME", node.Name)))
            .Distinct().ToList();
        Host.SignalAll(targets, signal, TimeSpan.FromSeconds(signal == LinuxProcess.SigKill ? 5 : 15));
    }

    public ResourceState Probe(RuntimeState? state)
    {
        var daemons = Daemons(state, state is null ? [] : Sandbox.Listeners(Host, state.Sandbox), session.Roles());
        return daemons.Where(d => d.State != ResourceState.NotNeeded).Select(d => d.State).DefaultIfEmpty(ResourceState.Stopped).Max();
    }

    /// <summary>Each daemon's state; <paramref name="listeners"/> are the sandbox's listening sockets, <paramref name="roles"/> the cluster's (both read once for all nodes).</summary>
    public IReadOnlyList<DaemonStatus> Daemons(RuntimeState? state, IReadOnlySet<string> listeners, ClusterRoles roles)
    {
        var running = state is not null && Host.IsAlive(state.Sandbox);
        var expected = running ? roles.DaemonsOf(node).Select(d => d.Name).ToHashSet() : [];
        return node.Daemons.Select(d =>
        {
            var process = running ? Host.OfDaemon(d, state!.SandboxUserNamespace, state.SandboxProc) : null;
            var daemonState = !running ? ResourceState.Stopped
                : process is not null ? (NodeControl.NotAnswering(d, node, listeners) is null ? ResourceState.Running : ResourceState.Starting)
                : expected.Contains(d.Name) ? ResourceState.Dead : ResourceState.NotNeeded;
            return new DaemonStatus(d.Name, daemonState, process?.Pid, node.Address, d.Port, d.Protocol,
                process is { } p ? Math.Round(Host.Uptime(p).TotalSeconds, 1) : null);
        }).ToList();
    }
}
