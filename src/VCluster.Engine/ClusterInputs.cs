using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;
using VCluster.Engine.Model;

namespace VCluster.Engine;

/// <summary>
/// A declared item: a <c>VClusterNode</c>, <c>VClusterInstance</c> or <c>VClusterTemplate</c>
/// item of a project, or its command-line form; its name and its metadata by name (empty: not given).
/// </summary>
public sealed record DeclaredItem(string Name, Func<string, string?> Metadata)
{
    public string? this[string name] => Metadata(name) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// An item written as on the command line, "NAME[:Key=Value,...]" with metadata names of
    /// <paramref name="names"/> (case-insensitive): "web:Count=2000,Template=diskless".
    /// </summary>
    public static DeclaredItem Parse(string text, IReadOnlyList<string> names, string option)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in colon < 0 ? [] : text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : pair[..equals].Trim();
            if (equals < 0 || !names.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidInstance,
                    $"{option} '{text}': '{pair}' is not Key=Value with a key of {string.Join(", ", names)}"));
            values[key] = pair[(equals + 1)..].Trim();
        }
        return new DeclaredItem(colon < 0 ? text : text[..colon], key => values.GetValueOrDefault(key));
    }
}

/// <summary>
/// What a cluster's declaration gives, whoever reads it: the SDK's task from MSBuild
/// properties and items, the tool's <c>generate</c> from its options. The declared values
/// come as a <see cref="ClusterSpec"/> without its items; the items, as declared, are turned
/// into the spec's here, and the generation options made, nowhere else, so the two cannot drift.
/// </summary>
public sealed class ClusterInputs
{
    /// <summary>The declared values (name, root, counts, switches); its node, instance and template lists are the items'.</summary>
    public required ClusterSpec Cluster { get; init; }

    public IReadOnlyList<DeclaredItem> Nodes { get; init; } = [];
    public IReadOnlyList<DeclaredItem> Instances { get; init; } = [];
    public IReadOnlyList<DeclaredItem> Templates { get; init; } = [];

    public required string TemplatesDirectory { get; init; }

    /// <summary>Where Ganeti is installed; null or empty: "/".</summary>
    public string? GanetiRoot { get; init; }

    /// <summary>Root file systems of other releases' Ganeti every node installs beside GanetiRoot's (VClusterGanetiAlsoInstall).</summary>
    public IReadOnlyList<string> AlsoInstall { get; init; } = [];

    /// <summary>The Ganeti source tree GanetiRoot was built from; null: none.</summary>
    public string? GanetiSource { get; init; }

    /// <summary>Where the Ganeti probe's result is kept; null or empty: the user's cache, else the cluster root's.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Where generation says how long its parts took (<see cref="IGenerationLog"/>).</summary>
    public IGenerationLog? Log { get; init; }

    public ClusterSpec ToSpec() => Cluster with
    {
        Nodes = Nodes.Select(n => new NodeSpec
        {
            Name = n.Name,
            Address = n["Address"],
            Master = n["Master"],
            MemoryMiB = n["MemoryMiB"],
            Cpus = n["Cpus"],
            DiskGiB = n["DiskGiB"],
            PhysicalVolumes = n["PhysicalVolumes"],
        }).ToList(),
        Instances = Instances.Select(i => InstanceSpec.FromMetadata(i.Name, i.Metadata)).ToList(),
        Templates = Templates.Select(t => new TemplateSpec
        {
            Source = t["FullPath"] ?? "",
            Output = t["OutputPath"] ?? "",
            Scope = Enum.TryParse<TemplateScope>(t["Scope"], ignoreCase: true, out var scope) ? scope : TemplateScope.Node,
            Mode = t["Mode"],
        }).ToList(),
    };

    public GenerationOptions ToOptions() => new()
    {
        TemplatesDirectory = TemplatesDirectory,
        GanetiRoot = string.IsNullOrEmpty(GanetiRoot) ? "/" : GanetiRoot,
        AlsoInstall = AlsoInstall.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).ToList(),
        GanetiSource = string.IsNullOrEmpty(GanetiSource) ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(GanetiSource)),
        CacheDirectory = !string.IsNullOrEmpty(CacheDirectory) ? CacheDirectory
            : GanetiInstallation.UserCacheDirectory() ?? ClusterRootLayout.On(Path.GetFullPath(Cluster.Root), ClusterRootLayout.CacheDir),
        Log = Log,
    };

    public GenerationResult Generate(CancellationToken cancellation) => ClusterGenerator.Generate(ToSpec(), ToOptions(), cancellation);
}
