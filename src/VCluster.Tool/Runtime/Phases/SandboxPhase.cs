namespace VCluster.Tool.Runtime.Phases;

/// <summary>
/// The sandbox runs: the recorded one if it lives, else a new one, after the forwarder into
/// the dead one and whatever that one left running are stopped (and a sandbox that an
/// interrupted up started without recording it). Every node starts with up.
/// </summary>
public sealed class SandboxPhase : IUpPhase
{
    public string Name => "sandbox";

    public void Run(UpContext up, CancellationToken cancellation)
    {
        var sandbox = up.Resources.Sandbox;
        if (sandbox.Holder(up.State) is null)
        {
            if (up.State is { } dead)
            {
                up.Resources.Forwarder.Stop(dead);
                sandbox.Stop(dead);
            }
            sandbox.StopUnrecorded(up.State);
            up.Session.Step("starting the sandbox");
            Faults.ClockSkews.ClearAll(up.Manifest.Root); // every fault ends with its sandbox
            var fresh = new RuntimeState();
            sandbox.Ensure(fresh, cancellation);
            up.State = fresh;
        }
        up.Running.UpCompleted = false;
        up.Running.UpFailure = null;
        StoppedNodes.Clear(up.Manifest.Root);
    }
}
