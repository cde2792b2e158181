namespace VCluster.Tool.Runtime.Phases;

/// <summary>RAPI from the host: the generated user on every node, the forwarder on 127.0.0.1 relaying to the master.</summary>
public sealed class ForwarderPhase : IUpPhase
{
    public string Name => "forwarder";

    public void Run(UpContext up, CancellationToken cancellation) => up.Resources.Forwarder.Ensure(up.Running, cancellation);
}
