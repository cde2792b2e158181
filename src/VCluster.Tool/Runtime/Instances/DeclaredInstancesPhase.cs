using System.Text.Json.Nodes;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Phases;

namespace VCluster.Tool.Runtime.Instances;

/// <summary>
/// <c>up</c>'s phase for declared instances: those the cluster lacks are created (by
/// <paramref name="population"/>); those it has are left as they are, and one that differs
/// from its declaration (a changed project, or a change made through Ganeti) is named with
/// how, never touched.
/// </summary>
public sealed class DeclaredInstancesPhase(IInstancePopulation population) : IUpPhase
{
    public string Name => "instances";

    public void Run(UpContext up, CancellationToken cancellation) =>
        up.PopulateTime = Run(up.Manifest, up.Nodes, up.Manifest.Node(up.Session.Roles().Master), cancellation);

    /// <summary>The declared instances the configuration of <paramref name="master"/> lacks.</summary>
    public static List<ManifestDeclaredInstance> Missing(ClusterManifest manifest, ManifestNode master) =>
        manifest.DeclaredInstances.Count == 0 ? [] : Missing(manifest, GanetiInstance.ReadAll(master));

    private static List<ManifestDeclaredInstance> Missing(ClusterManifest manifest, Dictionary<string, GanetiInstance> existing) =>
        manifest.DeclaredInstances.Where(i => !existing.ContainsKey(i.Name)).ToList();

    /// <summary>Creates what is missing; returns how long that took, or null if nothing was.</summary>
    private TimeSpan? Run(ClusterManifest manifest, NodeControl nodes, ManifestNode master, CancellationToken cancellation)
    {
        if (manifest.DeclaredInstances.Count == 0)
            return null;
        var existing = GanetiInstance.ReadAll(master);
        var missing = Missing(manifest, existing);
        var differing = manifest.DeclaredInstances.Where(i => existing.ContainsKey(i.Name))
            .Select(i => (i.Name, Differences: existing[i.Name].DifferencesFrom(i))).Where(d => d.Differences.Count > 0).ToList();
        foreach (var (name, differences) in differing.Take(20))
            nodes.Step($"instance {name} differs from its declaration ({string.Join("; ", differences)}): left as it is");
        if (differing.Count > 20)
            nodes.Step($"... and {differing.Count - 20} more instances differ from their declarations: left as they are");
        if (missing.Count == 0)
        {
            nodes.Step($"declared instances: all {manifest.DeclaredInstances.Count} present");
            return null;
        }
        var started = nodes.Elapsed;
        var way = population;
        // The version the cluster runs: gnt-cluster upgrade may have switched it.
        var version = RunningGaneti.Version(manifest);
        if (way is BulkPopulation && !ShortcutFidelity.ProvenOn(version))
        {
            nodes.Step($"the bulk population is proven equal to Ganeti's jobs on Ganeti {ShortcutFidelity.ProvenSeries} only: Ganeti {version}'s instances are made by its jobs");
            way = new JobPopulation();
        }
        way.Create(nodes, master, missing, cancellation);
        var now = GanetiInstance.ReadAll(master);
        var absent = missing.Where(i => !now.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        if (absent.Count > 0)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.PopulateFailed,
                $"{absent.Count} declared instances are not in the cluster's configuration after their creation: {string.Join(", ", absent.Take(20))}"));
        var elapsed = nodes.Elapsed - started;
        nodes.Step($"declared instances: {missing.Count} added in {elapsed.TotalSeconds:F1} s" +
            (missing.Count < manifest.DeclaredInstances.Count ? $", {manifest.DeclaredInstances.Count - missing.Count} were present" : ""));
        return elapsed;
    }
}

/// <summary>An instance as Ganeti's configuration holds it (the master's config.data), in the terms of a declaration.</summary>
public sealed record GanetiInstance(string Name, string Template, int MemoryMiB, int Cpus, IReadOnlyList<int> DiskMiB, string PrimaryNode, bool Up, string Os)
{
    /// <summary>Every instance of the configuration the master's tree holds, by name.</summary>
    public static Dictionary<string, GanetiInstance> ReadAll(ManifestNode master)
    {
        var path = Path.Combine(master.Root, "var/lib/ganeti/config.data");
        var result = new Dictionary<string, GanetiInstance>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
            return result;
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        var nodes = config["nodes"]!.AsObject().ToDictionary(n => n.Key, n => n.Value!["name"]!.GetValue<string>());
        var disks = config["disks"]?.AsObject().ToDictionary(d => d.Key, d => d.Value!) ?? [];
        var defaults = config["cluster"]!["beparams"]!["default"]!;
        foreach (var (_, instance) in config["instances"]!.AsObject())
        {
            var be = instance!["beparams"]?.AsObject();
            int Be(string key) => (be?[key] ?? defaults[key])!.GetValue<int>();
            var name = instance["name"]!.GetValue<string>();
            // Ganeti 3.0 keeps the template on each disk (dev_type); an instance without disks is diskless.
            var own = instance["disks"]!.AsArray().Select(d => disks[d!.GetValue<string>()]).ToList();
            var template = own.Count == 0 ? "diskless" : own[0]["dev_type"]!.GetValue<string>();
            result[name] = new GanetiInstance(name, template, Be("maxmem"), Be("vcpus"),
                own.Select(d => d["size"]!.GetValue<int>()).ToList(),
                nodes.GetValueOrDefault(instance["primary_node"]!.GetValue<string>(), "?"),
                instance["admin_state"]!.GetValue<string>() == "up", instance["os"]!.GetValue<string>());
        }
        return result;
    }

    /// <summary>What differs from <paramref name="declared"/>, for what it declares.</summary>
    public List<string> DifferencesFrom(ManifestDeclaredInstance declared)
    {
        var differences = new List<string>();
        void Compare(string what, object actual, object? wanted)
        {
            if (wanted is not null && !Equals(actual, wanted))
                differences.Add($"{what} {actual}, declared {wanted}");
        }
        Compare("template", Template, declared.Template);
        Compare("memory MiB", MemoryMiB, declared.MemoryMiB);
        Compare("CPUs", Cpus, declared.Cpus);
        Compare("disk MiB", DiskMiB.Sum(), declared.DiskGiB * 1024);
        Compare("primary node", PrimaryNode, declared.Node);
        Compare("state", Up ? ManifestDeclaredInstance.Up : ManifestDeclaredInstance.Down, declared.State);
        Compare("OS", Os, declared.Os);
        return differences;
    }
}
