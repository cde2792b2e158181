using VCluster.Engine.Network;

namespace VCluster.Engine.Model;

/// <summary>
/// A validated cluster: every name, address and folder resolved. Folders have two names: where
/// they are on this machine (<see cref="Root"/>: the generator writes there, the tool reads
/// there) and where the sandbox shows them to the node processes (<see cref="SandboxRoot"/>:
/// every path Ganeti sees, GANETI_ROOTDIR among them).
/// </summary>
public sealed class ClusterPlan
{
    public required string Name { get; init; }

    /// <summary>The cluster root on this machine.</summary>
    public required string Root { get; init; }

    /// <summary>The cluster root inside the sandbox (<see cref="SandboxLayout.ClusterMount"/>).</summary>
    public string SandboxRoot => SandboxLayout.ClusterMount;
    public required Ipv4Network Network { get; init; }
    public required Ipv4Address ClusterAddress { get; init; }
    public required IReadOnlyList<NodePlan> Nodes { get; init; }
    /// <summary>Spare instance names and addresses (<c>VClusterInstanceCount</c>), for instances made later by hand.</summary>
    public required IReadOnlyList<InstancePlan> Instances { get; init; }

    /// <summary>Declared instances (<c>VClusterInstance</c>), which <c>up</c> creates.</summary>
    public IReadOnlyList<DeclaredInstance> DeclaredInstances { get; init; } = [];
    public bool EnableMetad { get; init; }

    /// <summary>Whether nodes run mond (<see cref="ClusterSpec.Monitoring"/>).</summary>
    public bool Monitoring { get; init; } = true;
    public bool DurableWrites { get; init; }

    /// <summary>Every node's LVM volume group (<see cref="ClusterSpec.Lvm"/>), or null: no LVM.</summary>
    public string? VolumeGroup { get; init; }

    /// <summary>The disk templates the cluster enables, in Ganeti's order.</summary>
    public IReadOnlyList<string> DiskTemplates => Model.DiskTemplates.For(VolumeGroup is not null);

    /// <summary>Declared RPC connect timeout in seconds, or null for the default (<see cref="RpcTimeDilation"/>).</summary>
    public int? RpcConnectTimeout { get; init; }

    /// <summary>Seconds between ganeti-watcher runs on every node (0: none), as Debian's cron every 5 minutes.</summary>
    public int WatcherInterval { get; init; } = DefaultWatcherInterval;

    public const int DefaultWatcherInterval = 300;

    /// <summary>Machine seconds the cron leaves between passes for each node (<see cref="WatcherIntervalFor"/>).</summary>
    public const int WatcherSecondsPerNode = 3;

    /// <summary>
    /// The undeclared interval: Debian's 5 minutes, or 3 s per node where that is more. One
    /// watcher run costs about 0.56 CPU-s here (docs/benchmarks.md); on hardware each node pays
    /// for its own, here one cron runs them all in turn, so at 400 nodes a pass is 224 CPU-s
    /// and every 5 minutes would keep most of a core busy all the time. With 3 s per node the
    /// cron takes at most a fifth of one core (time dilation, docs/design.md).
    /// </summary>
    public static int WatcherIntervalFor(int nodes) => Math.Max(DefaultWatcherInterval, WatcherSecondsPerNode * nodes);

    /// <summary>
    /// The libraries every node process preloads: names and users, fsync unless writes are
    /// durable, and RPC time dilation.
    /// </summary>
    public string Preload => (DurableWrites ? "libnss_wrapper.so" : "libnss_wrapper.so libeatmydata.so")
        + " " + Path.Combine(SandboxRoot, NodePreload.Folder, NodePreload.LibraryName);

    public NodePlan Master => Nodes.First(n => n.IsMaster);

    /// <summary>Where node trees live; each node's tree is named after the node, as GANETI_ROOTDIR requires.</summary>
    public string NodesDirectory => Path.Combine(Root, "nodes");

    public string SandboxNodesDirectory => Path.Combine(SandboxRoot, "nodes");
}

public sealed class NodePlan
{
    public required string Name { get; init; }
    public required Ipv4Address Address { get; init; }
    public required bool IsMaster { get; init; }

    /// <summary>The node's tree on this machine.</summary>
    public required string Root { get; init; }

    /// <summary>The node's tree as its processes see it: GANETI_ROOTDIR.</summary>
    public required string SandboxRoot { get; init; }

    public required int MemoryMiB { get; init; }
    public required int Cpus { get; init; }
    public required int DiskGiB { get; init; }

    /// <summary>Physical volumes of the node's volume group (its DiskGiB split evenly), where the cluster has LVM.</summary>
    public int PhysicalVolumes { get; init; } = 1;

    /// <summary>The node's own Ganeti installation (its install prefix), as its processes see it.</summary>
    public string Prefix => Path.Combine(SandboxRoot, "prefix");
}

public sealed record InstancePlan(string Name, Ipv4Address Address);

/// <summary>
/// A declared instance as Ganeti is to create it. Memory and CPUs are null where the project
/// leaves them to the cluster's defaults (Ganeti's, unless changed); <see cref="Node"/> is null
/// where Ganeti's allocator places it. <see cref="Item"/> names the item that declared it.
/// </summary>
public sealed record DeclaredInstance(
    string Name, Ipv4Address Address, string Item, string Template, int? MemoryMiB, int? Cpus, int DiskGiB,
    string? Node, string? Secondary, bool Running, string Os);
