using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime.Joins;

/// <summary>
/// One real <c>gnt-node add</c> per node, as an administrator adds machines. Each add sends
/// a handful of RPCs to every node already joined, so the whole costs the square of the
/// cluster's size; it is the path for testing node addition itself.
/// </summary>
public sealed class SequentialJoin : INodeJoin
{
    /// <summary>
    /// Each add prepares its node from the client (prepare-node-join and node-daemon-setup
    /// through ssh, about 2 s of Python) before its job runs, and the jobs run one at a time
    /// under Ganeti's big lock: with a few clients at once, the next nodes get ready while the
    /// current job runs.
    /// </summary>
    private const int Clients = 3;

    public void Join(NodeControl nodes, ManifestNode master, IReadOnlyList<ManifestNode> joining, CancellationToken cancellation) =>
        nodes.ForEachNode(joining, "gnt-node add", node =>
        {
            nodes.Detail($"{master.Name}: gnt-node add {node.Name}");
            nodes.RunOnNode(master, ["gnt-node", "add", "--no-ssh-key-check", node.Name], $"gnt-node add {node.Name}", TimeSpan.FromMinutes(10), cancellation);
        }, cancellation, Clients);
}
