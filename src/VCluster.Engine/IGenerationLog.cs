namespace VCluster.Engine;

/// <summary>
/// Where generation says how long its parts took: MSBuild's log in the SDK's task (a detailed
/// build shows it), standard error in the tool when VCLUSTER_TRACE=1. The engine itself
/// writes to no console.
/// </summary>
public interface IGenerationLog
{
    void Trace(string message);
}
