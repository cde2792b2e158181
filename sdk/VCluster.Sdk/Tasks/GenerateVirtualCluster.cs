using Microsoft.Build.Framework;
using VCluster.Engine;
using VCluster.Engine.Ganeti;
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
    public string? CacheDirectory { get; set; }
    public bool EnableMetad { get; set; }
    public bool Monitoring { get; set; } = true;
    public string? RpcConnectTimeout { get; set; }
    public string? WatcherInterval { get; set; }
    public bool DurableWrites { get; set; }
    public ITaskItem[] Nodes { get; set; } = [];
    public ITaskItem[] Templates { get; set; } = [];
    public ITaskItem[] Instances { get; set; } = [];

    [Output] public string? ManifestPath { get; private set; }

    public void Cancel() => _cancel.Cancel();

    protected override void Run()
    {
        var spec = new ClusterSpec
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
            SourceFile = ProjectFile,
            Nodes = Nodes.Select(n => new NodeSpec
            {
                Name = n.ItemSpec,
                Address = Meta(n, "Address"),
                Master = Meta(n, "Master"),
                MemoryMiB = Meta(n, "MemoryMiB"),
                Cpus = Meta(n, "Cpus"),
                DiskGiB = Meta(n, "DiskGiB"),
            }).ToList(),
            Instances = Instances.Select(i => InstanceSpec.FromMetadata(i.ItemSpec, i.GetMetadata)).ToList(),
            Templates = Templates.Select(t => new TemplateSpec
            {
                Source = t.GetMetadata("FullPath"),
                Output = t.GetMetadata("OutputPath"),
                Scope = string.Equals(t.GetMetadata("Scope"), "cluster", StringComparison.OrdinalIgnoreCase) ? TemplateScope.Cluster : TemplateScope.Node,
                Mode = Meta(t, "Mode"),
            }).ToList(),
        };
        var result = ClusterGenerator.Generate(spec, new GenerationOptions
        {
            TemplatesDirectory = TemplatesDirectory,
            GanetiRoot = string.IsNullOrEmpty(GanetiRoot) ? "/" : GanetiRoot,
            CacheDirectory = string.IsNullOrEmpty(CacheDirectory) ? GanetiInstallation.UserCacheDirectory() : CacheDirectory,
        }, _cancel.Token);
        ManifestPath = result.ManifestPath;
        // dotnet vcluster, run in the project's folder, finds the cluster wherever its root is.
        ClusterDirectory.Remember(Path.GetDirectoryName(Path.GetFullPath(ProjectFile))!, result.Plan.Name, result.ManifestPath);
        Log.LogMessage(MessageImportance.High,
            "VCluster: {0} nodes of cluster '{1}' in {2}: {3} written, {4} unchanged, {5} pruned ({6:F0} ms)",
            result.Plan.Nodes.Count, result.Plan.Name, result.Plan.Root, result.Layout.Written, result.Layout.Unchanged,
            result.Layout.Pruned, result.Elapsed.TotalMilliseconds);
    }

    private static string? Meta(ITaskItem item, string name) => item.GetMetadata(name) is { Length: > 0 } value ? value : null;
}
