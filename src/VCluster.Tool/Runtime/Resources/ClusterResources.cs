using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime.Resources;

/// <summary>Every resource of one cluster, made once per command: up, down, status and the node commands share them.</summary>
public sealed class ClusterResources(ClusterSession session)
{
    public Sandbox Sandbox { get; } = new(session.Manifest, session.Host);
    public SandboxServices Services { get; } = new(session);
    public RapiAccess Forwarder { get; } = new(session.Manifest, session.Host);

    public NodeDaemons Node(string name) => new(session, session.Manifest.Node(name));

    public NodeDaemons Node(ManifestNode node) => new(session, node);
}
