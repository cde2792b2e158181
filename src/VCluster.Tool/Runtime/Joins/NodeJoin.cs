using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime.Joins;

/// <summary>
/// How the other nodes of a cluster join it once the master has run <c>gnt-cluster init</c>.
/// Either way every joined node's daemons run when it returns; those its role adds (confd on
/// master candidates) are started afterwards with the rest of the cluster.
/// </summary>
public interface INodeJoin
{
    void Join(NodeControl nodes, ManifestNode master, IReadOnlyList<ManifestNode> joining, CancellationToken cancellation);
}

/// <summary>The ways there are, by the name <c>up --join</c> and <c>VClusterJoin</c> take.</summary>
public static class NodeJoins
{
    public const string Bulk = "bulk";
    public const string Sequential = "sequential";
    public const string Default = Bulk;

    public static INodeJoin Named(string name) => name switch
    {
        Bulk => new BulkJoin(),
        Sequential => new SequentialJoin(),
        _ => throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidJoin,
            $"unknown join '{name}': use '{Bulk}' (all nodes at once, the default) or '{Sequential}' (one gnt-node add per node)")),
    };
}
