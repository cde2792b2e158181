using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>What the phases of one <c>up</c> hand on to each other.</summary>
public sealed class UpContext(ClusterSession session, ClusterResources resources, RuntimeState? loaded)
{
    private NodeControl? _nodes;

    public ClusterSession Session => session;
    public ClusterManifest Manifest => session.Manifest;
    public ClusterResources Resources => resources;

    /// <summary>The run-time state: as loaded, until the sandbox phase starts a new sandbox and with it a new state.</summary>
    public RuntimeState? State
    {
        get => loaded;
        set
        {
            loaded = value;
            _nodes = null;
        }
    }

    /// <summary>The state once the sandbox runs (every phase after the first).</summary>
    public RuntimeState Running => loaded ?? throw new InvalidOperationException("the sandbox phase runs first");

    public NodeControl Nodes => _nodes ??= session.Nodes(Running);

    /// <summary>The master, and the nodes that were members of the cluster before this up's joins (set by the init-or-resume phase).</summary>
    public ManifestNode Master { get; set; } = null!;
    public IReadOnlySet<string> Members { get; set; } = new HashSet<string>();

    /// <summary>How long the instances phase took to create the declared instances the cluster lacked, if it created any.</summary>
    public TimeSpan? PopulateTime { get; set; }
}
