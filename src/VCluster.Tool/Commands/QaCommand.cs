using VCluster.Tool.Runtime.Processes;
using McMaster.Extensions.CommandLineUtils;
using VCluster.Tool.Qa;

namespace VCluster.Tool.Commands;

[Command("qa", Description = "Run Ganeti's own QA suite (of the installed version) against the running cluster; exit 1 if a test fails. Leaves out only what docs/qa.md lists.")]
public sealed class QaCommand : ClusterCommand
{
    [Option("--tests <NAMES>", Description = "Comma-separated QA test switches to run (default: every one that applies; 'quick': a few minutes' worth of cluster, node, instance and job tests).")]
    public string? Tests { get; set; }

    [Option("--qa-dir <DIR>", Description = "The qa folder of Ganeti's source (default: fetched once from Debian's source package into ~/.cache/vcluster).")]
    public string? QaDirectory { get; set; }

    [Option("--junit <PATH>", Description = "Also write the results as JUnit XML.")]
    public string? JUnit { get; set; }

    protected override int Run(IConsole console, CancellationToken cancellation)
    {
        IReadOnlyCollection<string>? tests = Tests switch
        {
            null => null,
            "quick" => QaPolicy.Quick,
            _ => Tests.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        return new QaRunner(LoadManifest(), Host, console.Out).Run(QaDirectory, tests, JUnit, cancellation);
    }
}
