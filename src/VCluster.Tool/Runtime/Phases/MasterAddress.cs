using VCluster.Engine;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>
/// The cluster IP on the master after a resume (it lived in the old network namespace).
/// Ganeti 3.0's luxid activates it by itself when it starts (Query/Server.hs,
/// activateMasterIP), as on a rebooted master. A second activation racing that one would make
/// master-ip-setup, which pings "here?" and then "elsewhere?", take the address just added for
/// another machine's and fail. So when luxid has just started, its own activation is awaited
/// (the master's noded log shows its RPC), and the tool activates only if that one ended
/// without the address: the outcome never depends on timing.
/// </summary>
public sealed class MasterAddress(ClusterSession session, RuntimeState state, ManifestNode master)
{
    private string NodedLog => master.Daemons.Single(d => d.Name == "ganeti-noded").LogFile;

    /// <summary>The master's noded log's length now: taken before luxid starts.</summary>
    public long NodedLogLength() => File.Exists(NodedLog) ? new FileInfo(NodedLog).Length : 0;

    /// <param name="nodedLogBeforeLuxid">The length of noded's log before luxid started; null if luxid ran already.</param>
    public void Ensure(NodeControl nodes, long? nodedLogBeforeLuxid, CancellationToken cancellation)
    {
        if (nodedLogBeforeLuxid is { } offset)
            Wait.Until(() => Present() || ActivationAnswered(offset), session.ReadyTimeout, cancellation, session.Poll(TimeSpan.FromMilliseconds(100)));
        if (Present())
            return;
        session.Step($"{master.Name}: gnt-cluster activate-master-ip");
        var result = nodes.RunOnNode(master, ["gnt-cluster", "activate-master-ip"], "activate-master-ip", TimeSpan.FromMinutes(2), cancellation, check: false);
        if (!Present())
            throw NodeControl.Failure(master.Name, "activate-master-ip", $"the cluster IP {session.Manifest.ClusterAddress} is not on the master: {result.Tail(5)}");
    }

    private bool Present() => Sandbox.HasAddress(session.Host, state.Sandbox, session.Manifest.ClusterAddress);

    /// <summary>Whether the master's noded has answered an activation RPC since its log had <paramref name="offset"/> bytes.</summary>
    private bool ActivationAnswered(long offset)
    {
        if (!File.Exists(NodedLog))
            return false;
        using var log = new FileStream(NodedLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        log.Seek(Math.Min(offset, log.Length), SeekOrigin.Begin);
        return new StreamReader(log).ReadToEnd().Contains("POST /node_activate_master_ip ", StringComparison.Ordinal);
    }
}
