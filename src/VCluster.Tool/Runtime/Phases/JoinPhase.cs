using VCluster.Tool.Runtime.Joins;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>The nodes that are not yet members join the cluster, the way <paramref name="join"/> does it.</summary>
public sealed class JoinPhase(INodeJoin join, string how) : IUpPhase
{
    public string Name => "join";

    public void Run(UpContext up, CancellationToken cancellation)
    {
        var joining = up.Manifest.Nodes.Where(n => n.Name != up.Master.Name && !up.Members.Contains(n.Name)).ToList();
        if (joining.Count == 0)
            return;
        up.Session.Step($"joining {joining.Count} nodes ({how})");
        join.Join(up.Nodes, up.Master, joining, cancellation);
    }
}
