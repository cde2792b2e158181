using McMaster.Extensions.CommandLineUtils;
using VCluster.Tool.Qa;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Phases;

namespace VCluster.Tool.Commands;

[Command("qa", Description = "Run Ganeti's own QA suite (of the installed version) against the running cluster; exit 1 if a test fails. docs/qa.md lists every test switch, and why some are off.")]
public sealed class QaCommand : ClusterCommand
{
    [Option("--tests <NAMES>", Description = "Comma-separated QA test switches to run (default: every one the cluster can run; 'quick': a few minutes' worth of cluster, node, instance and job tests).")]
    public string? Tests { get; set; }

    [Option("--qa-dir <DIR>", Description = "The qa folder of Ganeti's source (default: fetched once from Debian's source package into ~/.cache/vcluster).")]
    public string? QaDirectory { get; set; }

    [Option("--junit <PATH>", Description = "Also write the results as JUnit XML.")]
    public string? JUnit { get; set; }

    [Option("--own-cluster", Description = "QA initialises the cluster itself (gnt-cluster init with up's options, gnt-node add) and destroys it at the end: the cluster must not be initialised ('destroy' first); the tool starts the sandbox and its services only. Runs create-cluster and cluster-destroy.")]
    public bool OwnCluster { get; set; }

    protected override int Run(IConsole console, CancellationToken cancellation)
    {
        IReadOnlyCollection<string>? tests = Tests switch
        {
            null => null,
            "quick" => QaPolicy.Quick,
            _ => Tests.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var manifest = LoadManifest();
        // QA is configured with what up initialises the cluster with.
        var init = InitOrResumePhase.InitCommand(manifest);
        var plan = QaPlan.For(QaCluster.Of(manifest, OwnCluster), tests);
        if (OwnCluster)
        {
            // The sandbox and its services, no Ganeti: QA's own init and joins make the cluster.
            using var _ = ClusterLock.Acquire(manifest.Root, nameof(QaCommand), TimeSpan.Zero, cancellation);
            UninitialisedPhase.Require(manifest, ClusterRoles.Read(manifest));
            Prerequisites.Check(manifest, Host, warnings: console.Error);
            Runtime(manifest, console).Up(new UpOptions(Initialise: false), cancellation);
        }
        var exit = new QaRunner(manifest, Host, console.Out).Run(QaDirectory, plan, init, JUnit, cancellation);
        if (OwnCluster)
            console.Out.WriteLine(ClusterRoles.Read(manifest).Members.Count == 0
                ? "no Ganeti cluster is left (QA destroyed the one it made, or made none); the sandbox runs on: 'dotnet vcluster down' stops it, 'dotnet vcluster up' initialises a cluster as usual"
                : "the cluster QA made is still initialised (QA stopped before destroying it): 'dotnet vcluster down' stops it, 'dotnet vcluster destroy' deletes it");
        return exit;
    }
}
