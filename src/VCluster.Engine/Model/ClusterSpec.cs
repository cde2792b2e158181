namespace VCluster.Engine.Model;

/// <summary>
/// A cluster as the user declared it (project properties and items), before validation.
/// Numbers stay strings here so that a bad value is reported with its location, not thrown
/// by a parser far from the project file.
/// </summary>
public sealed record ClusterSpec
{
    public const string DefaultName = "cluster";
    public const string DefaultNetwork = "192.0.2.0/24";
    public const int DefaultNodeCount = 3;

    public string Name { get; init; } = DefaultName;

    /// <summary>Absolute folder that holds the node trees and the manifest.</summary>
    public string Root { get; init; } = "";

    public string Network { get; init; } = DefaultNetwork;

    /// <summary>Used only when <see cref="Nodes"/> is empty.</summary>
    public string? NodeCount { get; init; }

    public string? InstanceCount { get; init; }

    public IReadOnlyList<NodeSpec> Nodes { get; init; } = [];

    /// <summary>Declared instances (<c>VClusterInstance</c> items), which <c>up</c> populates the cluster with.</summary>
    public IReadOnlyList<InstanceSpec> Instances { get; init; } = [];

    public IReadOnlyList<TemplateSpec> Templates { get; init; } = [];

    /// <summary>The project file the declaration comes from, for error locations.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Whether to run Ganeti's metadata daemon (it needs port 80 and setcap; off by default).</summary>
    public bool EnableMetad { get; init; }

    /// <summary>
    /// Whether nodes run Ganeti's monitoring daemon (mond), as Debian's build does. Off, every
    /// node is as Ganeti built with --disable-monitoring: one daemon less per node (CPU at
    /// start, memory), and no data collectors for HTools' --mond.
    /// </summary>
    public bool Monitoring { get; init; } = true;

    /// <summary>
    /// Seconds an RPC connection may take to connect and shake hands (Ganeti's
    /// RPC_CONNECT_TIMEOUT, raised for every node process); empty: scaled to the cluster
    /// (<see cref="RpcTimeDilation"/>).
    /// </summary>
    public string? RpcConnectTimeout { get; init; }

    /// <summary>Seconds between runs of ganeti-watcher on every node, as cron runs it; 0: never. Default 300.</summary>
    public string? WatcherInterval { get; init; }

    /// <summary>
    /// Whether Ganeti's fsync calls reach the disk. Off by default: every node of the cluster
    /// shares one disk, and Ganeti fsyncs each of the ~25 ssconf files on every node for every
    /// configuration change; libeatmydata makes those calls return at once.
    /// </summary>
    public bool DurableWrites { get; init; }

    /// <summary>
    /// Whether every node has an LVM volume group (in user space, templates/cluster/lvm.sbn),
    /// so that the cluster enables Ganeti's plain disk template. On by default.
    /// </summary>
    public bool Lvm { get; init; } = true;

    /// <summary>The volume group's name (Ganeti's --vg-name); empty: Ganeti's default, xenvg.</summary>
    public string? VolumeGroup { get; init; }

    /// <summary>Physical volumes per node the volume group spans (a node's PhysicalVolumes overrides it); empty: 1.</summary>
    public string? PhysicalVolumes { get; init; }
}

/// <summary>One <c>VClusterNode</c> item.</summary>
public sealed class NodeSpec
{
    public required string Name { get; init; }
    public string? Address { get; init; }
    public string? Master { get; init; }
    public string? MemoryMiB { get; init; }
    public string? Cpus { get; init; }
    public string? DiskGiB { get; init; }

    /// <summary>How many physical volumes the node's volume group spans (its DiskGiB split evenly).</summary>
    public string? PhysicalVolumes { get; init; }
}

/// <summary>
/// One <c>VClusterInstance</c> item: one instance, or with <see cref="Count"/> that many named
/// after it (<c>web</c>, Count 3: web1, web2, web3). What is not declared is Ganeti's cluster
/// default (memory, CPUs) or the cluster's (template diskless, the cluster's OS, running).
/// </summary>
public sealed class InstanceSpec
{
    public required string Name { get; init; }
    public string? Count { get; init; }
    public string? Template { get; init; }
    public string? MemoryMiB { get; init; }
    public string? Cpus { get; init; }
    public string? DiskGiB { get; init; }

    /// <summary>
    /// The primary node (Ganeti's <c>-n</c>), or several ("node1;node2", or "*" for every node)
    /// over which the instances are spread evenly; without it, Ganeti's allocator (hail) places
    /// the instance.
    /// </summary>
    public string? Node { get; init; }
    public string? Secondary { get; init; }

    /// <summary>up (default) or down.</summary>
    public string? State { get; init; }
    public string? Os { get; init; }

    /// <summary>The item metadata a declaration takes, as the SDK's item and <c>generate --instance</c> spell them.</summary>
    public static readonly IReadOnlyList<string> MetadataNames = ["Count", "Template", "MemoryMiB", "Cpus", "DiskGiB", "Node", "Secondary", "State", "Os"];

    /// <summary>A declaration from an item's name and metadata (null or empty: not given).</summary>
    public static InstanceSpec FromMetadata(string name, Func<string, string?> metadata)
    {
        string? Get(string key) => metadata(key) is { Length: > 0 } value ? value : null;
        return new InstanceSpec
        {
            Name = name.Trim(),
            Count = Get("Count"),
            Template = Get("Template"),
            MemoryMiB = Get("MemoryMiB"),
            Cpus = Get("Cpus"),
            DiskGiB = Get("DiskGiB"),
            Node = Get("Node"),
            Secondary = Get("Secondary"),
            State = Get("State"),
            Os = Get("Os"),
        };
    }

    /// <summary>
    /// A declaration written as on the command line, "NAME[:Key=Value,...]" with the item's
    /// metadata names (case-insensitive): "web:Count=2000,Template=diskless,MemoryMiB=512".
    /// </summary>
    public static InstanceSpec Parse(string text)
    {
        var item = DeclaredItem.Parse(text, MetadataNames, "--instance");
        return FromMetadata(item.Name, item.Metadata);
    }
}

public enum TemplateScope
{
    Node,
    Cluster,

    /// <summary>A node's file for each Ganeti version it installs (its prefix's versioned parts): <c>ganeti</c> is that version.</summary>
    Version,
}

/// <summary>One <c>VClusterTemplate</c> item: an extra template, or an override of a default one with the same output.</summary>
public sealed class TemplateSpec
{
    public required string Source { get; init; }
    public required string Output { get; init; }
    public TemplateScope Scope { get; init; } = TemplateScope.Node;
    public string? Mode { get; init; }
}
