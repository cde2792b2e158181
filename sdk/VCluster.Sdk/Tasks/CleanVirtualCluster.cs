using Microsoft.Build.Framework;
using VCluster.Engine.Layout;

namespace VCluster.Sdk.Tasks;

/// <summary>Deletes what generation wrote (VClusterClean); state the daemons wrote stays.</summary>
public sealed class CleanVirtualCluster : EngineTask
{
    [Required] public string Root { get; set; } = "";

    protected override void Run()
    {
        if (!Directory.Exists(Root))
            return;
        var removed = LayoutWriter.Clean(Root);
        Log.LogMessage(MessageImportance.Normal, "VCluster: removed {0} generated entries from {1}", removed, Root);
    }
}
