using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime.Resources;

/// <summary>
/// One of the machine's own services in the sandbox (<see cref="SandboxServices"/>): a
/// command nsenter runs there, recorded by name in the run-time state, its output in
/// .state/run/NAME.log, answering on <see cref="Listener"/> ("udp 127.0.0.53:53"; null: on none).
/// </summary>
public sealed class SandboxService(ClusterManifest manifest, IProcessHost host, string name, string description, IReadOnlyList<string> command, string? listener)
    : IClusterResource
{
    public string Name => name;
    public string Description => description;
    public string? Listener => listener;
    public string LogFile => ClusterRootLayout.On(manifest.Root, ClusterRootLayout.Log(name));

    /// <summary>The process recorded for it (nsenter, whose child is the service), alive or not.</summary>
    public LinuxProcess? Recorded(RuntimeState state) =>
        state.Processes.FirstOrDefault(p => p.Name == name) is { } tracked ? tracked.Process : null;

    public bool Runs(RuntimeState? state) => state is not null && Recorded(state) is { } process && host.IsAlive(process);

    public ResourceState Probe(RuntimeState? state) =>
        Runs(state) ? ResourceState.Running : state is not null && host.IsAlive(state.Sandbox) ? ResourceState.Dead : ResourceState.Stopped;

    public void Ensure(RuntimeState state, CancellationToken cancellation) => Start(state);

    /// <summary>Starts it in the sandbox unless it runs; true if it was started.</summary>
    public bool Start(RuntimeState state)
    {
        if (Runs(state))
            return false;
        state.Processes.RemoveAll(p => p.Name == name);
        var pid = host.StartDetached(Sandbox.Enter(state.Sandbox, command), LogFile);
        // Gone already: recorded as it was, so that waiting for its answer reports it with its log.
        var process = host.TryRead(pid) ?? new LinuxProcess(pid, -1);
        state.Processes.Add(new TrackedProcess("", name, process.Pid, process.StartTime));
        return true;
    }

    /// <summary>Ends nsenter and the service it runs (its child, in the sandbox).</summary>
    public void Stop(RuntimeState state)
    {
        if (Recorded(state) is { } process)
        {
            foreach (var child in host.Children(process.Pid).Select(pid => host.TryRead(pid)).OfType<LinuxProcess>())
                host.Signal(child, LinuxProcess.SigKill);
            host.Signal(process, LinuxProcess.SigKill);
        }
        state.Processes.RemoveAll(p => p.Name == name);
    }

    /// <summary>Sends <paramref name="signal"/> to the service itself (nsenter's child).</summary>
    public void SignalService(RuntimeState state, int signal)
    {
        if (Recorded(state) is { } process)
        {
            foreach (var child in host.Children(process.Pid).Select(pid => host.TryRead(pid)).OfType<LinuxProcess>())
                host.Signal(child, signal);
        }
    }
}
