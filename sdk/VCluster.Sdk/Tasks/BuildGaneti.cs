using Microsoft.Build.Framework;
using VCluster.Engine.Ganeti;

namespace VCluster.Sdk.Tasks;

/// <summary>Builds the project's Ganeti source tree as Debian does and installs it for the cluster (VClusterBuildGaneti).</summary>
public sealed class BuildGaneti : EngineTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string SourceTree { get; set; } = "";
    [Required] public string BuildDirectory { get; set; } = "";

    /// <summary>The installation's root, for VClusterGanetiRoot.</summary>
    [Output] public string? InstallRoot { get; private set; }

    /// <summary>True when make and make install ran: generation must look at the installation again.</summary>
    [Output] public bool Installed { get; private set; }

    public void Cancel() => _cancel.Cancel();

    protected override void Run()
    {
        var result = GanetiSourceBuild.Build(SourceTree, BuildDirectory, m => Log.LogMessage(MessageImportance.High, "VCluster: {0}", m), _cancel.Token);
        InstallRoot = result.InstallRoot;
        Installed = result.Built;
        Log.LogMessage(MessageImportance.High, "VCluster: Ganeti {0} from {1}: {2} ({3:F1} s)", result.Version, result.SourceTree,
            result.UpToDate ? "up to date, nothing rebuilt" : $"{(result.Generated ? "autogen, " : "")}{(result.Configured ? "configure, " : "")}make, make install",
            result.Elapsed.TotalSeconds);
    }
}
