using VCluster.Engine.Layout;
using System.Text.Json.Nodes;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime.Instances;

/// <summary>
/// How the declared instances a cluster lacks are created. Both ways start from the same
/// batch-create definitions (<see cref="InstanceDefinitions"/>): pinned instances first, then
/// those Ganeti's allocator places, so hail sees the pinned ones running either way.
/// </summary>
public interface IInstancePopulation
{
    void Create(NodeControl nodes, ManifestNode master, IReadOnlyList<ManifestDeclaredInstance> missing, CancellationToken cancellation);
}

/// <summary>The ways there are, by the name <c>up --populate</c> and <c>VClusterPopulate</c> take.</summary>
public static class InstancePopulations
{
    public const string Bulk = "bulk";
    public const string Jobs = "jobs";
    public const string Default = Bulk;

    public static IInstancePopulation Named(string name) => name switch
    {
        Bulk => new BulkPopulation(),
        Jobs => new JobPopulation(),
        _ => throw new VClusterException(new VClusterDiagnostic(ErrorCodes.PopulateFailed,
            $"unknown way to populate '{name}': use '{Bulk}' (all at once, the default) or '{Jobs}' (Ganeti's gnt-instance batch-create)")),
    };

    /// <summary>Where the definitions go for one run: the cluster's run-time state (the sandbox sees it at the same place under its root).</summary>
    public static (string Host, string Sandbox) File(ClusterManifest manifest, string name) =>
        (Path.Combine(ClusterRootLayout.On(manifest.Root, ClusterRootLayout.InstanceDefinitions), name), Path.Combine(ClusterRootLayout.On(manifest.SandboxRoot, ClusterRootLayout.InstanceDefinitions), name));

    public static string Write(ClusterManifest manifest, string name, JsonNode content)
    {
        var (host, sandbox) = File(manifest, name);
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        VCluster.Engine.AtomicFile.WriteAllBytes(host, System.Text.Encoding.UTF8.GetBytes(content.ToJsonString()), null);
        return sandbox;
    }

    /// <summary>What a creation of <paramref name="count"/> instances may take: Ganeti's jobs, on a shared machine.</summary>
    public static TimeSpan Timeout(int count) => TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(5 * count);
}

/// <summary>
/// Ganeti's own jobs: <c>gnt-instance batch-create</c> of the pinned definitions, then with
/// <c>-I hail</c> of the placed ones; one job per instance, each writing the configuration.
/// The way to take when instance creation itself is under test.
/// </summary>
public sealed class JobPopulation : IInstancePopulation
{
    public void Create(NodeControl nodes, ManifestNode master, IReadOnlyList<ManifestDeclaredInstance> missing, CancellationToken cancellation)
    {
        foreach (var (name, definitions, allocator) in new[]
        {
            ("pinned.json", InstanceDefinitions.Pinned(missing), (string?)null),
            ("placed.json", InstanceDefinitions.Placed(missing), InstanceDefinitions.Allocator),
        })
        {
            if (definitions.Count == 0)
                continue;
            var file = InstancePopulations.Write(nodes.Manifest, name, definitions);
            nodes.Step($"gnt-instance batch-create of {definitions.Count} instances{(allocator is null ? "" : $" (-I {allocator})")}");
            var result = nodes.RunOnNode(master, ["gnt-instance", "batch-create", .. allocator is null ? Array.Empty<string>() : ["-I", allocator], file],
                "gnt-instance batch-create", InstancePopulations.Timeout(definitions.Count), cancellation, check: false);
            if (!result.Succeeded)
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.PopulateFailed,
                    $"gnt-instance batch-create failed on {master.Name}: {result.Tail(10)}"));
        }
    }
}

/// <summary>
/// All at once, leaving what the jobs leave (the end-to-end tests compare both;
/// docs/instances.md lists what may differ): populate.py (src/VCluster.Engine/Ganeti) runs
/// Ganeti's own LUInstanceMultiAlloc and LUInstanceCreate as the master, in one process, with
/// one configuration write; each RPC goes to a process per node that answers it with noded's
/// own request handler, instead of a TLS connection to a noded that forks for it.
/// </summary>
public sealed class BulkPopulation : IInstancePopulation
{
    public void Create(NodeControl nodes, ManifestNode master, IReadOnlyList<ManifestDeclaredInstance> missing, CancellationToken cancellation)
    {
        var manifest = nodes.Manifest;
        var definitions = new JsonObject
        {
            ["nodes"] = new JsonObject(manifest.Nodes.Select(n => KeyValuePair.Create(n.Name, (JsonNode?)Path.Combine(n.SandboxRoot, "cmd")))),
            ["pinned"] = InstanceDefinitions.Pinned(missing),
            ["placed"] = InstanceDefinitions.Placed(missing),
            ["iallocator"] = InstanceDefinitions.Allocator,
        };
        var file = InstancePopulations.Write(manifest, "populate.json", definitions);
        var script = Path.Combine(manifest.SandboxRoot, SandboxScripts.Folder, SandboxScripts.Populate);
        nodes.Step($"creating {missing.Count} instances at once");
        var result = nodes.RunOnNode(master, [manifest.Ganeti.Python, script, "create", file], "populate",
            InstancePopulations.Timeout(missing.Count), cancellation, check: false, onOutputLine: line => nodes.Step($"instances: {line}"));
        if (!result.Succeeded)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.PopulateFailed,
                $"creating the declared instances failed on {master.Name}: {result.Tail(10)}"));
    }
}
