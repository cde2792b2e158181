using VCluster.Tool.Runtime.Processes;
using System.Diagnostics;
using System.Globalization;
using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Report;

/// <summary>
/// The report over cluster sizes: for each size in turn, a cluster of that many nodes is
/// generated (the same engine as the SDK), brought up, populated with the given instances per
/// node (spread evenly: Node="*"; hail could not place thousands, docs/instances.md), measured
/// and torn down. The cluster's cron is off while measuring: its watcher runs would be counted.
/// </summary>
public sealed class ScaleSweep(IProcessHost host, TextWriter progress)
{
    public required IReadOnlyList<int> Sizes { get; init; }
    public int InstancesPerNode { get; init; } = 10;
    public int Runs { get; init; } = 3;

    /// <summary>Where each size's cluster is made (then deleted).</summary>
    public required string Folder { get; init; }
    public required GenerationOptions Generation { get; init; }

    /// <summary>Measures every size; <paramref name="measured"/> gets each as it is done.</summary>
    public List<ReportSize> Run(Action<List<ReportSize>> measured, CancellationToken cancellation)
    {
        var sizes = new List<ReportSize>();
        foreach (var nodes in Sizes)
        {
            var label = $"[{nodes} nodes]";
            var size = new ReportSize { Nodes = nodes, Instances = nodes * InstancesPerNode };
            var root = Path.Combine(Folder, $"n{nodes.ToString(CultureInfo.InvariantCulture)}");
            ClusterRuntime? runtime = null;
            try
            {
                var manifest = ClusterManifest.Load(ClusterGenerator.Generate(Spec(nodes, root), Generation, cancellation).ManifestPath);
                Prerequisites.Check(manifest, host, progress);
                runtime = new ClusterRuntime(new ClusterSession(manifest, host, new PrefixWriter(progress, label + " ")));
                var clock = Stopwatch.StartNew();
                runtime.Up(cancellation);
                size.UpSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
                size.PopulateSeconds = runtime.PopulateTime is { } populate ? Math.Round(populate.TotalSeconds, 1) : null;
                var state = RuntimeState.Load(manifest.Root)!;
                (size.IdleCpuPerSecond, size.IdleRpcsPerSecond) = new OperationMeter(manifest, host, state).Idle(TimeSpan.FromSeconds(5), cancellation);
                size.Operations = new ClusterMeasurement(manifest, host, progress) { Runs = Runs }.Measure(state, label, cancellation);
            }
            catch (VClusterException e)
            {
                size.Error = string.Join("; ", e.Diagnostics.Select(d => $"{d.Code}: {d.Message.Split('\n')[0]}"));
                progress.WriteLine($"{label} not measured: {size.Error}");
            }
            finally
            {
                runtime?.Down(CancellationToken.None);
                VCluster.Engine.Layout.TreeRemoval.Delete(root);
            }
            sizes.Add(size);
            measured(sizes);
        }
        return sizes;
    }

    private ClusterSpec Spec(int nodes, string root) => new()
    {
        Name = "scale",
        Root = root,
        Network = "198.18.0.0/15",
        NodeCount = nodes.ToString(CultureInfo.InvariantCulture),
        // One spare name: the instance the report adds, fails over and removes.
        InstanceCount = "1",
        WatcherInterval = "0",
        Instances = InstancesPerNode == 0 ? [] :
        [
            new InstanceSpec
            {
                Name = "web", Count = (nodes * InstancesPerNode).ToString(CultureInfo.InvariantCulture), MemoryMiB = "128", Node = "*",
            },
        ],
    };

    /// <summary>Every line of a cluster's progress, named by its size.</summary>
    private sealed class PrefixWriter(TextWriter inner, string prefix) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void WriteLine(string? value) => inner.WriteLine(prefix + value);

        public override void Write(char value) => inner.Write(value);
    }
}
