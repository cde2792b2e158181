using McMaster.Extensions.CommandLineUtils;
using VCluster.Engine;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;

namespace VCluster.Tool.Commands;

[Command("generate", Description = "Generate a cluster without a project (the embedded default: 3 nodes), through the same engine as the SDK.")]
public sealed class GenerateCommand : ToolCommand
{
    [Option("--root <DIR>", Description = "Cluster root (default: ./.vcluster/<name>).")]
    public string? Root { get; set; }

    [Option("--name <NAME>", Description = "Cluster name (default: cluster).")]
    public string Name { get; set; } = ClusterSpec.DefaultName;

    [Option("--nodes <COUNT>", Description = "Node count (default: 3).")]
    public string? Nodes { get; set; }

    [Option("--instances <COUNT>", Description = "Instance names and addresses to reserve (default: 0).")]
    public string? Instances { get; set; }

    [Option("--instance <DECLARATION>", Description = "Declare instances as VClusterInstance items do, NAME[:Key=Value,...] with the item's metadata, e.g. web:Count=2000,Template=diskless,MemoryMiB=512 (repeatable).")]
    public string[] DeclaredInstances { get; set; } = [];

    [Option("--network <CIDR>", Description = "IPv4 network of the cluster (default: 192.0.2.0/24).")]
    public string Network { get; set; } = ClusterSpec.DefaultNetwork;

    [Option("--ganeti-root <DIR>", Description = "Where Ganeti is installed (default: /).")]
    public string GanetiRoot { get; set; } = "/";

    [Option("--ganeti-source <DIR>", Description = "A Ganeti source tree (a checkout or an unpacked release) to build as Debian does and run instead of the installed Ganeti (docs/ganeti-development.md).")]
    public string? GanetiSource { get; set; }

    [Option("--ganeti-release <NAME>", Description = "Run another Debian release's Ganeti with that release's userland, e.g. trixie: a root file system made once with mmdebstrap and kept in ~/.cache/vcluster/releases (docs/ganeti-releases.md).")]
    public string? Release { get; set; }

    [Option("--also-install <RELEASE>", Description = "Install another Debian release's Ganeti on every node beside the one the cluster runs, e.g. trixie, so that gnt-cluster upgrade --to can switch to it (docs/upgrades.md). Repeatable.")]
    public string[] AlsoInstall { get; set; } = [];

    [Option("--durable-writes", Description = "Let Ganeti's fsync calls reach the disk (default: libeatmydata skips them).")]
    public bool DurableWrites { get; set; }

    [Option("--no-monitoring", Description = "Nodes without Ganeti's monitoring daemon, as Ganeti built with --disable-monitoring (less CPU and memory per node).")]
    public bool NoMonitoring { get; set; }

    [Option("--rpc-connect-timeout <SECONDS>", Description = "Seconds an RPC may take to connect (default: " + RpcTimeDilation.DefaultInWords + ").")]
    public string? RpcConnectTimeout { get; set; }

    [Option("--watcher-interval <SECONDS>", Description = "Seconds between ganeti-watcher runs on every node (default: 300, as cron; 0: never).")]
    public string? WatcherInterval { get; set; }

    [Option("--enable-metad", Description = "Run Ganeti's metadata daemon on every node, as VClusterEnableMetad does.")]
    public bool EnableMetad { get; set; }

    [Option("--no-lvm", Description = "Nodes without LVM volume groups (no plain instances), as VClusterLvm=false.")]
    public bool NoLvm { get; set; }

    [Option("--volume-group <NAME>", Description = "Every node's volume group (default: xenvg, Ganeti's default).")]
    public string? VolumeGroup { get; set; }

    [Option("--physical-volumes <COUNT>", Description = "Physical volumes per node the volume group spans, the node's DiskGiB split evenly (default: 1; QA's exclusive storage needs 2).")]
    public string? PhysicalVolumes { get; set; }

    /// <summary>The options as the engine takes them (<see cref="ClusterInputs"/>), the same as the SDK's task gives.</summary>
    public ClusterInputs Inputs() => Inputs(GanetiRoot);

    private string ClusterRoot => Path.GetFullPath(Root ?? Path.Combine(".vcluster", Name));

    private ClusterInputs Inputs(string ganetiRoot, IReadOnlyList<string>? alsoInstall = null) => new()
    {
        AlsoInstall = alsoInstall ?? [],
        Cluster = new ClusterSpec
        {
            Name = Name,
            Root = ClusterRoot,
            Network = Network,
            NodeCount = Nodes,
            InstanceCount = Instances,
            EnableMetad = EnableMetad,
            Monitoring = !NoMonitoring,
            RpcConnectTimeout = RpcConnectTimeout,
            WatcherInterval = WatcherInterval,
            DurableWrites = DurableWrites,
            Lvm = !NoLvm,
            VolumeGroup = VolumeGroup,
            PhysicalVolumes = PhysicalVolumes,
        },
        Instances = DeclaredInstances.Select(d => DeclaredItem.Parse(d, InstanceSpec.MetadataNames, "--instance")).ToList(),
        TemplatesDirectory = Path.Combine(AppContext.BaseDirectory, "templates"),
        GanetiRoot = ganetiRoot,
        GanetiSource = GanetiSource,
        Log = Environment.GetEnvironmentVariable("VCLUSTER_TRACE") == "1" ? new StandardErrorLog() : null,
    };

    /// <summary>Generation's timings on standard error, with VCLUSTER_TRACE=1.</summary>
    private sealed class StandardErrorLog : IGenerationLog
    {
        public void Trace(string message) => Console.Error.WriteLine($"trace: {message}");
    }

    protected override int Run(IConsole console, CancellationToken cancellation)
    {
        var ganetiRoot = GanetiRoot;
        if (Release is not null)
        {
            var release = GanetiRelease.PrepareInCache(Release, GanetiSource, null, m => console.WriteLine(m), cancellation);
            console.WriteLine($"Ganeti of Debian {release.Release}: {(release.Created ? "root file system made" : "root file system from the cache")} in {release.Root} ({release.Elapsed.TotalSeconds:F1} s)");
            ganetiRoot = release.Root;
        }
        if (GanetiSource is not null)
        {
            // The engine reports each step, and "up to date" when there was none.
            var build = GanetiSourceBuild.Build(GanetiSource, ClusterRootLayout.On(ClusterRoot, ClusterRootLayout.GanetiBuild), m => console.WriteLine(m), cancellation);
            if (!build.UpToDate)
                console.WriteLine($"Ganeti {build.Version} from {build.SourceTree}: built and installed in {build.InstallRoot} ({build.Elapsed.TotalSeconds:F1} s)");
            ganetiRoot = build.InstallRoot;
        }
        var alsoInstall = new List<string>();
        foreach (var other in AlsoInstall)
        {
            var release = GanetiRelease.PrepareInCache(other, null, null, m => console.WriteLine(m), cancellation);
            console.WriteLine($"Ganeti of Debian {release.Release}, installed beside: {(release.Created ? "root file system made" : "root file system from the cache")} in {release.Root} ({release.Elapsed.TotalSeconds:F1} s)");
            alsoInstall.Add(release.Root);
        }
        var result = Inputs(ganetiRoot, alsoInstall).Generate(cancellation);
        ClusterDirectory.Remember(Directory.GetCurrentDirectory(), result.Plan.Name, result.ManifestPath);
        console.WriteLine($"{result.Plan.Nodes.Count} nodes of cluster '{result.Plan.Name}' in {result.Plan.Root}: " +
            $"{result.Layout.Written} written, {result.Layout.Unchanged} unchanged, {result.Layout.Pruned} pruned ({result.Elapsed.TotalMilliseconds:F0} ms)");
        console.WriteLine($"manifest: {result.ManifestPath}");
        return 0;
    }
}
