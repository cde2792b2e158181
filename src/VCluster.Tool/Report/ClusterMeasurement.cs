using VCluster.Tool.Runtime.Resources;
using VCluster.Tool.Runtime.Processes;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Instances;

namespace VCluster.Tool.Report;

/// <summary>
/// Runs the report's operations (<see cref="ScaleOperations"/>) on a running cluster, in their
/// order, <see cref="Runs"/> times; an operation that took longer than <see cref="RepeatBelow"/>
/// runs once (instance add, failover and remove go together: they share one instance).
/// </summary>
public sealed class ClusterMeasurement(ClusterManifest manifest, IProcessHost host, TextWriter progress)
{
    public int Runs { get; init; } = 3;
    public TimeSpan RepeatBelow { get; init; } = TimeSpan.FromSeconds(20);

    private static readonly string[] InstanceGroup = ["instance-add", "instance-failover", "instance-remove"];

    public List<ReportOperation> Measure(RuntimeState state, string label, CancellationToken cancellation)
    {
        var master = manifest.Node(ClusterRoles.Read(manifest).Master);
        var meter = new OperationMeter(manifest, host, state);
        var context = Context(master, state);
        var results = ScaleOperations.All.ToDictionary(o => o.Name, o => new ReportOperation { Name = o.Name });
        var once = new HashSet<string>(StringComparer.Ordinal);
        for (var run = 0; run < Runs; run++)
        {
            var failedAdd = false;
            foreach (var operation in ScaleOperations.All)
            {
                cancellation.ThrowIfCancellationRequested();
                if (run > 0 && once.Contains(operation.Name))
                    continue;
                if (failedAdd && operation.Name is "instance-failover" or "instance-remove")
                    continue; // nothing to fail over or remove
                var words = operation.Command(context with { Run = run });
                var timeout = TimeSpan.FromSeconds(operation.LimitSeconds + 600);
                var measured = meter.Measure(() => operation.OnMaster
                    ? host.Run([Path.Combine(master.Root, "cmd"), CommandLine.Join(words)], new RunOptions(timeout), cancellation)
                    : host.Run(words, new RunOptions(timeout), cancellation));
                results[operation.Name].Runs.Add(measured);
                failedAdd |= operation.Name == "instance-add" && measured.Failed;
                progress.WriteLine($"{label}: {operation.Name} run {run + 1}: {measured.WallSeconds:F2} s, {measured.CpuSeconds:F1} CPU-s, " +
                    $"{measured.Rpcs.Values.Sum()} RPCs{(measured.Failed ? $", FAILED: {measured.Error?.Split('\n').LastOrDefault()}" : "")}");
                if (measured.WallSeconds > RepeatBelow.TotalSeconds)
                    once.UnionWith(InstanceGroup.Contains(operation.Name) ? InstanceGroup : [operation.Name]);
            }
        }
        // Leave the cluster as found: the hypervisor parameter back, the report's instance gone.
        host.Run([Path.Combine(master.Root, "cmd"), CommandLine.Join(ScaleOperations.Restore)], new RunOptions(TimeSpan.FromMinutes(20)), cancellation);
        if (GanetiInstance.ReadAll(master).ContainsKey(context.Spare))
            host.Run([Path.Combine(master.Root, "cmd"), CommandLine.Join(["gnt-instance", "remove", "-f", context.Spare])], new RunOptions(TimeSpan.FromMinutes(20)), cancellation);
        foreach (var operation in results.Values)
        {
            var good = operation.Runs.Where(r => !r.Failed).ToList();
            operation.MedianSeconds = Median(good.Select(r => r.WallSeconds));
            operation.MedianCpuSeconds = Median(good.Select(r => r.CpuSeconds));
            operation.MedianRpcs = Median(good.Select(r => (double)r.Rpcs.Values.Sum()));
        }
        return [.. results.Values];
    }

    private OperationContext Context(ManifestNode master, RuntimeState state)
    {
        var existing = GanetiInstance.ReadAll(master);
        var spare = manifest.Instances.Select(i => i.Name).FirstOrDefault(n => !existing.ContainsKey(n))
            ?? throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InstanceNamesExhausted,
                $"the report adds one instance and needs a free spare name: raise VClusterInstanceCount of cluster '{manifest.Name}'"));
        var others = manifest.Nodes.Where(n => n.Name != master.Name).Select(n => n.Name).ToList();
        var primary = others.ElementAtOrDefault(0) ?? master.Name;
        var other = others.ElementAtOrDefault(1) ?? master.Name;
        var credentials = File.ReadAllText(new RapiAccess(manifest, host).CredentialsFile).Trim();
        return new OperationContext(spare, primary, other, RapiAccess.Url(state.Rapi!.Port), credentials, 0);
    }

    public static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
            return null;
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
