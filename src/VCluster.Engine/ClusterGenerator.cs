using System.Diagnostics;
using System.Text;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Engine.Planning;
using VCluster.Engine.Rendering;

namespace VCluster.Engine;

public sealed class GenerationOptions
{
    /// <summary>The folder with <c>templates.json</c> and the default templates.</summary>
    public required string TemplatesDirectory { get; init; }

    /// <summary>"/" for Debian's packages, or a folder where they were unpacked.</summary>
    public string GanetiRoot { get; init; } = "/";

    /// <summary>The Ganeti source tree GanetiRoot was built from (<see cref="GanetiSourceBuild"/>); null: an installed Ganeti.</summary>
    public string? GanetiSource { get; init; }

    /// <summary>
    /// Other Ganeti installations every node installs beside <see cref="GanetiRoot"/>'s, for
    /// <c>gnt-cluster upgrade --to</c> (release roots, <see cref="GanetiRelease"/>).
    /// </summary>
    public IReadOnlyList<string> AlsoInstall { get; init; } = [];

    /// <summary>Where the Ganeti probe result is cached; null: probe every time.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Where the time of each part goes; null: nowhere.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IGenerationLog? Log { get; init; }
}

public sealed record GenerationResult(ClusterPlan Plan, string ManifestPath, LayoutWriteResult Layout, TimeSpan Elapsed, int Entries);

/// <summary>
/// The whole generation, in the order that keeps disk consistent: validate, discover Ganeti,
/// parse and render every template in memory (any error stops here, before a write), then
/// write only what changed, prune what is no longer generated, and write the manifest last.
/// </summary>
public static class ClusterGenerator
{
    public static GenerationResult Generate(ClusterSpec spec, GenerationOptions options, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var plan = ClusterPlanner.Plan(spec);
        var ganeti = GanetiInstallation.Discover(options.GanetiRoot, options.CacheDirectory);
        var versions = GanetiVersions.Of(ganeti, options.AlsoInstall.Select(r => GanetiInstallation.Discover(r, options.CacheDirectory)).ToList(), plan.SandboxRoot);
        var templates = TemplateSet.Load(options.TemplatesDirectory, spec.Templates, new ProjectSourceLocator(spec.SourceFile));
        cancellation.ThrowIfCancellationRequested();

        var log = options.Log;
        log?.Trace($"plan+discover+templates {clock.ElapsedMilliseconds} ms");
        // The manifest depends on the plan only: serialise it while the layout is built and written.
        var manifest = Task.Run(() => LayoutEntry.File(ClusterManifest.FileName,
            Encoding.UTF8.GetBytes(BuildManifest(plan, versions, spec.SourceFile, options.GanetiSource).ToJson() + "\n"), 0b110_100_100), cancellation);
        var entries = new ClusterLayoutBuilder(plan, versions, templates).Build(cancellation);
        log?.Trace($"build {clock.ElapsedMilliseconds} ms ({entries.Count} entries)");

        // The manifest goes last: the tool starts only what a completed generation describes.
        var layout = LayoutWriter.Write(plan.Root, entries, cancellation, last: manifest.GetAwaiter().GetResult(), log);
        log?.Trace($"write {clock.ElapsedMilliseconds} ms");
        return new GenerationResult(plan, Path.Combine(plan.Root, ClusterManifest.FileName), layout, clock.Elapsed, entries.Count + 1);
    }

    /// <summary>The script that builds the sandbox (templates/cluster/sandbox.sbn), relative to the root.</summary>
    public const string SandboxSetupPath = ClusterRootLayout.SandboxSetup;

    public static ClusterManifest BuildManifest(ClusterPlan plan, GanetiInstallation ganeti, string? sourceProject, string? ganetiSource = null) =>
        BuildManifest(plan, GanetiVersions.Single(ganeti), sourceProject, ganetiSource);

    public static ClusterManifest BuildManifest(ClusterPlan plan, GanetiVersions versions, string? sourceProject, string? ganetiSource = null)
    {
        var ganeti = versions.Active;
        var layout = SandboxLayout.For(plan, ganeti);
        var sandbox = new ManifestSandbox
        {
            StorageMount = layout.StorageMount,
            FileStorageDir = layout.FileStorageDir,
            SharedFileStorageDir = layout.SharedFileStorageDir,
            SharedFolder = layout.SharedFolder,
            Bridge = layout.Bridge,
            BinDir = NodeEnvironment.BinDir(plan),
            StateDir = ClusterRootLayout.On(plan.Root, ClusterRootLayout.StateDir),
            Setup = Path.Combine(plan.Root, SandboxSetupPath),
            Watcher = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.Watcher),
            WatcherInterval = plan.WatcherInterval,
            Group = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.Group),
            Hosts = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.Hosts),
        };
        return new ClusterManifest
        {
            Name = plan.Name,
            Root = plan.Root,
            SandboxRoot = plan.SandboxRoot,
            Network = plan.Network.ToString(),
            Netmask = plan.Network.Netmask,
            PrefixLength = plan.Network.PrefixLength,
            ClusterAddress = plan.ClusterAddress.ToString(),
            Master = plan.Master.Name,
            SourceProject = sourceProject,
            Ganeti = new ManifestGaneti
            {
                Version = ganeti.Version,
                InstallRoot = ganeti.InstallRoot,
                ShareDir = ganeti.ShareDir,
                SbinDir = ganeti.SbinDir,
                Python = ganeti.Python,
                Source = ganetiSource,
                Userland = ganeti.Userland,
                Installed = versions.All.Count > 1
                    ? versions.All.Select(v => new ManifestGanetiVersion { Version = v.Version, VersionDir = v.VersionDir, ShareDir = v.ShareDir, Userland = v.Userland }).ToList()
                    : null,
            },
            Sandbox = sandbox,
            DiskTemplates = [.. plan.DiskTemplates],
            Lvm = plan.VolumeGroup is { } volumeGroup
                ? new ManifestLvm { VolumeGroup = volumeGroup, Program = Path.Combine(NodeEnvironment.BinDir(plan), UserspaceLvm.Program) }
                : null,
            Nodes = plan.Nodes.Select(n => new ManifestNode
            {
                Name = n.Name,
                Address = n.Address.ToString(),
                Master = n.IsMaster,
                Root = n.Root,
                SandboxRoot = n.SandboxRoot,
                Prefix = n.Prefix,
                MemoryMiB = n.MemoryMiB,
                Cpus = n.Cpus,
                DiskGiB = n.DiskGiB,
                PhysicalVolumes = plan.VolumeGroup is null ? 0 : n.PhysicalVolumes,
                Environment = NodeEnvironment.Of(n, plan, ganeti).ToDictionary(),
                Path = [.. NodeEnvironment.PathOf(n, plan)],
                Daemons = DaemonCatalog.For(n, plan, ganeti).Select(d => new ManifestDaemon
                {
                    Name = d.Name,
                    Executable = d.Executable,
                    Arguments = [.. d.Arguments],
                    Role = d.Role,
                    Protocol = d.Protocol,
                    Port = d.Port,
                    Socket = d.Socket,
                    LogFile = d.LogFile,
                    PidFile = d.PidFile,
                }).ToList(),
            }).ToList(),
            Instances = plan.Instances.Select(i => new ManifestInstance(i.Name, i.Address.ToString())).ToList(),
            DeclaredInstances = plan.DeclaredInstances.Select(i => new ManifestDeclaredInstance(i.Name, i.Address.ToString(), i.Item, i.Template,
                i.MemoryMiB, i.Cpus, i.DiskGiB, i.Node, i.Secondary, i.Running ? ManifestDeclaredInstance.Up : ManifestDeclaredInstance.Down, i.Os)).ToList(),
        };
    }
}
