using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>Every daemon the roles call for answers; then each one's process (pid and start time) is recorded.</summary>
public sealed class ReadinessPhase : IUpPhase
{
    public string Name => "readiness";

    public void Run(UpContext up, CancellationToken cancellation)
    {
        up.Nodes.WaitReady(up.Session.ReadyTimeout, cancellation);
        Track(up.Session, up.Running);
    }

    /// <summary>Records every daemon's process in the run-time state (the tool's own services stay as they are).</summary>
    public static void Track(ClusterSession session, RuntimeState state)
    {
        state.Processes.RemoveAll(p => !SandboxServices.Names.Contains(p.Name));
        foreach (var node in session.Manifest.Nodes)
        {
            foreach (var daemon in node.Daemons)
            {
                if (session.Host.OfDaemon(daemon, state.SandboxUserNamespace, state.SandboxProc) is { } process)
                    state.Processes.Add(new TrackedProcess(node.Name, daemon.Name, process.Pid, process.StartTime));
            }
        }
    }
}
