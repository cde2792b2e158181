using VCluster.Engine.Network;

namespace VCluster.Engine.Model;

/// <summary>A validated cluster: every name, address and folder resolved.</summary>
public sealed class ClusterPlan
{
    public required string Name { get; init; }
    public required string Root { get; init; }
    public required Ipv4Network Network { get; init; }
    public required Ipv4Address ClusterAddress { get; init; }
    public required IReadOnlyList<NodePlan> Nodes { get; init; }
    public required IReadOnlyList<InstancePlan> Instances { get; init; }
    public bool EnableMetad { get; init; }
    public bool DurableWrites { get; init; }

    /// <summary>The libraries every node process preloads: names and users, and fsync unless writes are durable.</summary>
    public string Preload => DurableWrites ? "libnss_wrapper.so" : "libnss_wrapper.so libeatmydata.so";

    public NodePlan Master => Nodes.First(n => n.IsMaster);

    /// <summary>Where node trees live; each node's tree is named after the node, as GANETI_ROOTDIR requires.</summary>
    public string NodesDirectory => Path.Combine(Root, "nodes");
}

public sealed class NodePlan
{
    public required string Name { get; init; }
    public required Ipv4Address Address { get; init; }
    public required bool IsMaster { get; init; }
    public required string Root { get; init; }
    public required int MemoryMiB { get; init; }
    public required int Cpus { get; init; }
    public required int DiskGiB { get; init; }

    /// <summary>The node's own Ganeti installation (its install prefix).</summary>
    public string Prefix => Path.Combine(Root, "prefix");
}

public sealed record InstancePlan(string Name, Ipv4Address Address);
