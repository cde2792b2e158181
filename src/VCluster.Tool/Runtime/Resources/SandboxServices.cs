using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime.Resources;

/// <summary>
/// The machine's own services in the sandbox, which every node reaches, started once per
/// sandbox and recorded in the run-time state: an answer on TCP port 22 of every address
/// (gnt-node add waits for it; the ssh shim does the rest, as every machine runs an sshd), the
/// cluster's DNS (<see cref="NameService"/>), and the cluster's cron (the watcher). A service
/// that does not answer stops <c>up</c> there, naming it and its log: otherwise Ganeti fails
/// later for a reason nobody can trace (a name server that never started made
/// <c>gnt-cluster init</c> fail with an empty resolver error).
/// </summary>
public sealed class SandboxServices
{
    public const string SshListenerName = "ssh-listener";
    public const string NameServerName = "name-server";
    public const string WatcherName = "watcher";

    /// <summary>The tool's own processes in the run-time state (a node's daemons have a node's name).</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal) { SshListenerName, NameServerName, WatcherName, Faults.PacketDelays.ServiceName };

    /// <summary>How long a service may take to answer: dnsmasq and socat bind at once.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    private readonly ClusterSession _session;

    public SandboxServices(ClusterSession session)
    {
        _session = session;
        var (manifest, host) = (session.Manifest, session.Host);
        SshListener = new(manifest, host, SshListenerName, "SSH listener (socat)",
            ["socat", "TCP-LISTEN:22,fork,reuseaddr", "SYSTEM:echo SSH-2.0-VCluster"], "tcp 0.0.0.0:22");
        NameServer = new(manifest, host, NameServerName, "name server (dnsmasq)",
            NameService.ServerCommand(manifest.Sandbox.Hosts), $"udp {NameService.Address}:53");
        Watcher = new(manifest, host, WatcherName, "cron (ganeti-watcher)", ["/bin/sh", manifest.Sandbox.Watcher], null);
    }

    public SandboxService SshListener { get; }
    public SandboxService NameServer { get; }
    public SandboxService Watcher { get; }

    private ClusterManifest Manifest => _session.Manifest;

    /// <summary>Starts the SSH listener and the name server where they do not run, and waits until both answer.</summary>
    public void EnsureMachineServices(RuntimeState state, CancellationToken cancellation)
    {
        var started = new[] { SshListener, NameServer }.Where(s => s.Start(state)).ToList();
        if (started.Count > 0)
            WaitAnswering(state, started, cancellation);
        if (started.Contains(NameServer))
            state.HostsMapLoaded = HostsMapStamp;
        else if (state.HostsMapLoaded != HostsMapStamp)
            ReloadNames(state, cancellation);
    }

    /// <summary>The cluster's cron, in the sandbox, where down's sweep ends it with everything else.</summary>
    public void EnsureWatcher(RuntimeState state)
    {
        if (Manifest.Sandbox.WatcherInterval > 0)
            Watcher.Start(state);
    }

    /// <summary>Whether the name server has read the hosts map as it is now.</summary>
    public bool NamesCurrent(RuntimeState state) => state.HostsMapLoaded == HostsMapStamp;

    private string HostsMap => Path.Combine(Manifest.Root, Path.GetRelativePath(Manifest.SandboxRoot, Manifest.Sandbox.Hosts));

    private long HostsMapStamp => File.GetLastWriteTimeUtc(HostsMap).Ticks;

    /// <summary>
    /// dnsmasq reads the hosts map when it starts and when it gets SIGHUP: a generation that
    /// added names (declared instances) while the cluster ran would otherwise leave them
    /// unknown, and Ganeti's name check refuses an instance whose name does not resolve.
    /// Done once the last name of the map resolves on the master.
    /// </summary>
    private void ReloadNames(RuntimeState state, CancellationToken cancellation)
    {
        NameServer.SignalService(state, LinuxProcess.SigHup);
        var last = File.ReadLines(HostsMap).LastOrDefault(l => l.Trim().Length > 0)?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var master = Manifest.Node(_session.Roles().Master);
        if (last is { Length: >= 2 } && !Wait.Until(() => _session.Host.Run([Path.Combine(master.Root, "cmd"), CommandLine.Join(["getent", "hosts", last[1]])],
                new RunOptions(TimeSpan.FromSeconds(10)), cancellation).Succeeded, AnswerTimeout, cancellation, TimeSpan.FromMilliseconds(100)))
            throw Failed("the sandbox's name server (dnsmasq)", $"did not learn the new names of {HostsMap} ('{last[1]}' does not resolve)", NameServer.LogFile);
        state.HostsMapLoaded = HostsMapStamp;
    }

    private void WaitAnswering(RuntimeState state, IReadOnlyList<SandboxService> services, CancellationToken cancellation)
    {
        var pending = services.ToList();
        SandboxService? dead = null;
        var answered = Wait.Until(() =>
        {
            var listeners = Sandbox.Listeners(_session.Host, state.Sandbox);
            pending.RemoveAll(s => listeners.Contains(s.Listener!));
            // The command nsenter runs is its child: nsenter ends when it does.
            dead = pending.FirstOrDefault(s => !s.Runs(state));
            return pending.Count == 0 || dead is not null;
        }, AnswerTimeout, cancellation);
        if (dead is not null)
            throw Failure(dead, "exited at start");
        if (!answered)
            throw Failure(pending[0], $"does not answer on {pending[0].Listener!.Replace(' ', ':')} after {AnswerTimeout.TotalSeconds:F0} s");
    }

    private static VClusterException Failure(SandboxService service, string what) =>
        Failed($"the sandbox's {service.Description}", what, service.LogFile);

    /// <summary>The error for a sandbox service that did not start or answer: what, why, and its log's last line.</summary>
    public static VClusterException Failed(string service, string what, string logFile) =>
        new(new VClusterDiagnostic(ErrorCodes.SandboxServiceFailed,
            $"{service} {what}; its log, {logFile}, ends: {LastLine(logFile) ?? "(empty)"}"));

    private static string? LastLine(string logFile) =>
        File.Exists(logFile) ? File.ReadLines(logFile).LastOrDefault(l => l.Trim().Length > 0)?.Trim() : null;
}
