using System.Text.Json;
using System.Text.Json.Serialization;

namespace VCluster.Tool.Report;

/// <summary>
/// What <c>dotnet vcluster report</c> writes (report.json; docs/scaling.md describes every
/// field): per cluster size, each operation's runs with their wall time, CPU time and RPCs; per
/// operation, how its latency grows and where it reaches the Ganeti limit it runs into.
/// </summary>
public sealed class ScaleReport
{
    public const int CurrentSchema = 1;

    public int Schema { get; set; } = CurrentSchema;
    public string Created { get; set; } = "";
    public string Command { get; set; } = "";
    public string GanetiVersion { get; set; } = "";
    public ReportMachine Machine { get; set; } = new();
    public List<ReportSize> Sizes { get; set; } = [];
    public List<ReportGrowth> Growth { get; set; } = [];

    /// <summary>Fits each operation's growth over the sizes measured (three sizes at least).</summary>
    public void FitGrowth()
    {
        Growth = [];
        foreach (var operation in ScaleOperations.All)
        {
            var points = Sizes.Where(s => s.Error is null)
                .Select(s => (N: (double)s.Nodes, T: s.Operations.FirstOrDefault(o => o.Name == operation.Name)?.MedianSeconds))
                .Where(p => p.T is not null).Select(p => (p.N, p.T!.Value)).ToList();
            if (GrowthFit.Of(points) is not { } fit)
                continue;
            Growth.Add(new ReportGrowth
            {
                Operation = operation.Name, Model = fit.Model, Intercept = fit.Intercept, Slope = fit.Slope, Exponent = Math.Round(fit.Exponent, 3),
                Limit = operation.Limit, LimitSeconds = operation.LimitSeconds, ReachesLimitAtNodes = fit.Reaches(operation.LimitSeconds),
            });
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, ScaleReportJson.Default.ScaleReport);

    public static ScaleReport FromJson(string json) => JsonSerializer.Deserialize(json, ScaleReportJson.Default.ScaleReport)!;
}

public sealed class ReportMachine
{
    public int Cores { get; set; }
    public double MemoryGiB { get; set; }
    public string Kernel { get; set; } = "";

    public static ReportMachine OfThisMachine()
    {
        var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return new ReportMachine
        {
            Cores = Environment.ProcessorCount,
            MemoryGiB = Math.Round(long.Parse(memory, System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0, 1),
            Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        };
    }
}

/// <summary>One cluster size: how it came up, and every operation measured on it.</summary>
public sealed class ReportSize
{
    public int Nodes { get; set; }
    public int Instances { get; set; }

    /// <summary>The whole up (sandbox, init, join, daemons, instances); null where the cluster was already up.</summary>
    public double? UpSeconds { get; set; }

    /// <summary>The creation of the declared instances, part of <see cref="UpSeconds"/>.</summary>
    public double? PopulateSeconds { get; set; }

    /// <summary>CPU seconds the idle cluster uses per second (confd, mond, ...), measured before the operations.</summary>
    public double IdleCpuPerSecond { get; set; }

    /// <summary>RPCs per second the idle cluster's nodes answer, measured with <see cref="IdleCpuPerSecond"/>.</summary>
    public double IdleRpcsPerSecond { get; set; }

    /// <summary>Why this size could not be measured, or null.</summary>
    public string? Error { get; set; }
    public List<ReportOperation> Operations { get; set; } = [];
}

public sealed class ReportOperation
{
    public string Name { get; set; } = "";
    public List<ReportRun> Runs { get; set; } = [];

    /// <summary>Over the runs that succeeded; null if none did.</summary>
    public double? MedianSeconds { get; set; }
    public double? MedianCpuSeconds { get; set; }
    public double? MedianRpcs { get; set; }
}

public sealed class ReportRun
{
    public double WallSeconds { get; set; }

    /// <summary>CPU seconds of every process of the cluster and of the command, during the run.</summary>
    public double CpuSeconds { get; set; }

    /// <summary>RPCs the nodes' noded answered during the run, by procedure (their own logs).</summary>
    public Dictionary<string, int> Rpcs { get; set; } = [];
    public bool Failed { get; set; }
    public string? Error { get; set; }
}

/// <summary>How an operation's median latency grows with the nodes, and where it meets its limit.</summary>
public sealed class ReportGrowth
{
    public string Operation { get; set; } = "";
    public string Model { get; set; } = "";
    public double Intercept { get; set; }
    public double Slope { get; set; }
    public double Exponent { get; set; }
    public string Limit { get; set; } = "";
    public double LimitSeconds { get; set; }

    /// <summary>The node count at which the fitted model reaches <see cref="LimitSeconds"/>; null if it does not below ten million.</summary>
    public double? ReachesLimitAtNodes { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ScaleReport))]
internal sealed partial class ScaleReportJson : JsonSerializerContext;
