using VCluster.Tool.Runtime.Processes;
using System.Globalization;
using McMaster.Extensions.CommandLineUtils;
using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Tool.Report;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Commands;

[Command("report", Description = "Measure how Ganeti's operations cost as the cluster grows (docs/scaling.md): on this running cluster, or with --sizes on a cluster of each size that it makes, brings up, populates, measures and removes in turn.")]
public sealed class ReportCommand : ClusterCommand
{
    [Option("--sizes <NODES>", Description = "Node counts to measure in turn, e.g. 10,50,100,250 (default: this cluster only).")]
    public string? Sizes { get; set; }

    [Option("--instances-per-node <N>", Description = "With --sizes: instances each cluster is populated with, per node (default: 10).")]
    public int InstancesPerNode { get; set; } = 10;

    [Option("--runs <N>", Description = "Runs of each operation (default: 3; one taking over 20 s runs once).")]
    public int Runs { get; set; } = 3;

    [Option("-o|--out <DIR>", Description = "Where report.json and report.png go (default: ./vcluster-report with --sizes, else the cluster root's report/).")]
    public string? Out { get; set; }

    protected override int Run(IConsole console, CancellationToken cancellation)
    {
        var report = new ScaleReport
        {
            Created = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            Command = "dotnet vcluster report " + string.Join(' ', Environment.GetCommandLineArgs().Skip(2)),
            Machine = ReportMachine.OfThisMachine(),
        };
        string folder;
        if (Sizes is null)
        {
            var manifest = LoadManifest();
            folder = Path.GetFullPath(Out ?? Path.Combine(manifest.Root, "report"));
            using var _ = ClusterLock.Acquire(manifest.Root, nameof(ReportCommand), TimeSpan.Zero, cancellation);
            var state = RuntimeState.Load(manifest.Root) is { } s && Host.IsAlive(s.Sandbox) ? s
                : throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ClusterNotRunning, $"cluster '{manifest.Name}' is not running; start it with: dotnet vcluster up"));
            report.GanetiVersion = manifest.Ganeti.Version;
            var (idleCpu, idleRpcs) = new OperationMeter(manifest, Host, state).Idle(TimeSpan.FromSeconds(5), cancellation);
            report.Sizes.Add(new ReportSize
            {
                Nodes = manifest.Nodes.Count,
                Instances = VCluster.Tool.Runtime.Instances.GanetiInstance.ReadAll(manifest.Node(ClusterRoles.Read(manifest).Master)).Count,
                IdleCpuPerSecond = idleCpu,
                IdleRpcsPerSecond = idleRpcs,
                Operations = new ClusterMeasurement(manifest, Host, console.Out) { Runs = Runs }.Measure(state, manifest.Name, cancellation),
            });
            Write(report, folder, console);
            return 0;
        }
        folder = Path.GetFullPath(Out ?? "vcluster-report");
        var sizes = Sizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidCount, $"--sizes: '{t}' is not a positive whole number of nodes")))
            .ToList();
        var sweep = new ScaleSweep(Host, console.Out)
        {
            Sizes = sizes, InstancesPerNode = InstancesPerNode, Runs = Runs, Folder = Path.Combine(folder, "clusters"),
            Generation = new GenerationOptions
            {
                TemplatesDirectory = Path.Combine(AppContext.BaseDirectory, "templates"),
                CacheDirectory = GanetiInstallation.UserCacheDirectory() ?? Path.Combine(folder, "cache"),
            },
        };
        report.GanetiVersion = GanetiInstallation.Discover("/", sweep.Generation.CacheDirectory).Version;
        sweep.Run(measured =>
        {
            report.Sizes = measured;
            Write(report, folder, console);
        }, cancellation);
        return report.Sizes.All(s => s.Error is null) ? 0 : 1;
    }

    /// <summary>report.json and report.png, rewritten as each size is done: an interrupted sweep keeps what it measured.</summary>
    private static void Write(ScaleReport report, string folder, IConsole console)
    {
        report.FitGrowth();
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllBytes(Path.Combine(folder, "report.json"), System.Text.Encoding.UTF8.GetBytes(report.ToJson() + "\n"), null);
        ReportPlot.Save(report, Path.Combine(folder, "report.png"));
        console.WriteLine($"report: {Path.Combine(folder, "report.json")}, {Path.Combine(folder, "report.png")}");
        foreach (var growth in report.Growth)
            console.WriteLine($"  {growth.Operation}: {growth.Model} (n^{growth.Exponent:F2})" +
                (growth.ReachesLimitAtNodes is { } n ? $", reaches {growth.LimitSeconds:F0} s ({growth.Limit}) at about {n:N0} nodes" : ""));
    }
}
