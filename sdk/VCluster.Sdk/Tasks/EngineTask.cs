using Microsoft.Build.Utilities;
using VCluster.Engine.Diagnostics;

namespace VCluster.Sdk.Tasks;

/// <summary>Runs engine code and turns its diagnostics into MSBuild errors with code, file and line.</summary>
public abstract class EngineTask : Microsoft.Build.Utilities.Task
{
    public sealed override bool Execute()
    {
        try
        {
            Run();
        }
        catch (VClusterException e)
        {
            foreach (var d in e.Diagnostics)
                Log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
        }
        catch (OperationCanceledException)
        {
            Log.LogWarning("VCluster: generation was cancelled; every file is either as before or complete");
        }
        return !Log.HasLoggedErrors;
    }

    protected abstract void Run();
}
