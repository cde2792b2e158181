using Microsoft.Build.Framework;
using VCluster.Engine.Ganeti;

namespace VCluster.Sdk.Tasks;

/// <summary>Makes (once) or finds the cached root file system of a Debian release's Ganeti (VClusterPrepareGanetiRelease).</summary>
public sealed class PrepareGanetiRelease : EngineTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required] public string Release { get; set; } = "";

    public string? GanetiSource { get; set; }

    /// <summary>Where releases are kept; empty: the user's cache.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>The release's root file system, for VClusterGanetiRoot.</summary>
    [Output] public string? Root { get; private set; }

    /// <summary>Rewritten whenever the root is made again: an input of generation.</summary>
    [Output] public string? Stamp { get; private set; }

    public void Cancel() => _cancel.Cancel();

    protected override void Run()
    {
        var result = GanetiRelease.PrepareInCache(Release, GanetiSource, CacheDirectory, m => Log.LogMessage(MessageImportance.High, "VCluster: {0}", m), _cancel.Token);
        Root = result.Root;
        Stamp = result.Stamp;
        Log.LogMessage(MessageImportance.High, "VCluster: Ganeti of Debian {0}: {1} ({2:F1} s)", result.Release,
            result.Created ? $"root file system made in {result.Root}" : $"root file system from the cache ({result.Root})", result.Elapsed.TotalSeconds);
    }
}
