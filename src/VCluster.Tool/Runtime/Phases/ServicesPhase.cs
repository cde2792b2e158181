namespace VCluster.Tool.Runtime.Phases;

/// <summary>The machine's services every node needs before Ganeti runs: the SSH listener and the cluster's DNS.</summary>
public sealed class ServicesPhase : IUpPhase
{
    public string Name => "services";

    public void Run(UpContext up, CancellationToken cancellation) =>
        up.Resources.Services.EnsureMachineServices(up.Running, cancellation);
}
