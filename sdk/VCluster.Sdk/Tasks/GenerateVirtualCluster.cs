using Microsoft.Build.Framework;
using VCluster.Engine;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;

namespace VCluster.Sdk.Tasks;

/// <summary>Turns the project's cluster declaration into node trees and a manifest (VClusterGenerate).</summary>
public sealed class GenerateVirtualCluster : EngineTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string Root { get; set; } = "";
    [Required] public string TemplatesDirectory { get; set; } = "";
    public string Name { get; set; } = ClusterSpec.DefaultName;
    public string Network { get; set; } = ClusterSpec.DefaultNetwork;
    public string? NodeCount { get; set; }
    public string? InstanceCount { get; set; }
    public string? GanetiRoot { get; set; }
    public string? GanetiSource { get; set; }

    /// <summary>Root file systems of other releases' Ganeti every node installs beside (VClusterGanetiAlsoInstall).</summary>
    public ITaskItem[] AlsoInstall { get; set; } = [];
    public string? CacheDirectory { get; set; }
    public bool EnableMetad { get; set; }
    public bool Monitoring { get; set; } = true;
    public string? RpcConnectTimeout { get; set; }
    public string? WatcherInterval { get; set; }
    public bool DurableWrites { get; set; }
    public bool Lvm { get; set; } = true;
    public string? VolumeGroup { get; set; }
    public string? PhysicalVolumes { get; set; }
    public ITaskItem[] Nodes { get; set; } = [];
    public ITaskItem[] Templates { get; set; } = [];
    public ITaskItem[] Instances { get; set; } = [];

    [Output] public string? ManifestPath { get; private set; }

    public void Cancel() => _cancel.Cancel();

    /// <summary>The project's declaration as the engine takes it (<see cref="ClusterInputs"/>).</summary>
    public ClusterInputs Inputs() => new()
    {
        Cluster = new ClusterSpec
        {
            Name = Name,
            Root = Root,
            Network = Network,
            NodeCount = NodeCount,
            InstanceCount = InstanceCount,
            EnableMetad = EnableMetad,
            Monitoring = Monitoring,
            RpcConnectTimeout = RpcConnectTimeout,
            WatcherInterval = WatcherInterval,
            DurableWrites = DurableWrites,
            Lvm = Lvm,
            VolumeGroup = VolumeGroup,
            PhysicalVolumes = PhysicalVolumes,
            SourceFile = ProjectFile is { Length: > 0 } project ? project : null,
        },
        Nodes = Nodes.Select(Item).ToList(),
        Instances = Instances.Select(Item).ToList(),
        Templates = Templates.Select(Item).ToList(),
        TemplatesDirectory = TemplatesDirectory,
        GanetiRoot = GanetiRoot,
        GanetiSource = GanetiSource,
        AlsoInstall = AlsoInstall.Select(i => i.ItemSpec).ToList(),
        CacheDirectory = CacheDirectory,
        Log = new BuildLog(Log),
    };

    /// <summary>Generation's timings as low-importance messages: a detailed build (-v:d) shows them.</summary>
    private sealed class BuildLog(Microsoft.Build.Utilities.TaskLoggingHelper log) : IGenerationLog
    {
        public void Trace(string message) => log.LogMessage(MessageImportance.Low, "VCluster: {0}", message);
    }

    protected override void Run()
    {
        var result = Inputs().Generate(_cancel.Token);
        ManifestPath = result.ManifestPath;
        // dotnet vcluster, run in the project's folder, finds the cluster wherever its root is.
        ClusterDirectory.Remember(Path.GetDirectoryName(Path.GetFullPath(ProjectFile))!, result.Plan.Name, result.ManifestPath);
        Log.LogMessage(MessageImportance.High,
            "VCluster: {0} nodes of cluster '{1}' in {2}: {3} written, {4} unchanged, {5} pruned ({6:F0} ms)",
            result.Plan.Nodes.Count, result.Plan.Name, result.Plan.Root, result.Layout.Written, result.Layout.Unchanged,
            result.Layout.Pruned, result.Elapsed.TotalMilliseconds);
    }

    private static DeclaredItem Item(ITaskItem item) => new(item.ItemSpec, item.GetMetadata);
}
