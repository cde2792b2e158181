using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;

namespace VCluster.Tool.Runtime;

/// <summary>
/// The machine's own services in the sandbox, which every node reaches, started once per
/// sandbox and recorded in the run-time state: an answer on TCP port 22 of every address
/// (gnt-node add waits for it; the ssh shim does the rest, as every machine runs an sshd), the
/// cluster's DNS (<see cref="NameService"/>), and the cluster's cron (the watcher). A service
/// that does not answer stops <c>up</c> there, naming it and its log: otherwise Ganeti fails
/// later for a reason nobody can trace (a name server that never started made
/// <c>gnt-cluster init</c> fail with an empty resolver error).
/// </summary>
public sealed class SandboxServices(ClusterManifest manifest)
{
    public const string SshListener = "ssh-listener";
    public const string NameServer = "name-server";
    public const string Watcher = "watcher";

    /// <summary>The tool's own processes in the run-time state (a node's daemons have a node's name).</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal) { SshListener, NameServer, Watcher };

    /// <summary>How long a service may take to answer: dnsmasq and socat bind at once.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A service: what it is to a reader, its command line in the sandbox, and the socket it answers on ("udp 127.0.0.53:53").</summary>
    private sealed record Service(string Name, string Description, IReadOnlyList<string> Command, string Listener);

    private string StateDir => manifest.Sandbox.StateDir;

    public string LogFile(string name) => Path.Combine(StateDir, "run", $"{name}.log");

    /// <summary>Starts the SSH listener and the name server where they do not run, and waits until both answer.</summary>
    public void EnsureMachineServices(RuntimeState state, LinuxProcess holder, CancellationToken cancellation)
    {
        Service[] services =
        [
            new(SshListener, "SSH listener (socat)", ["socat", "TCP-LISTEN:22,fork,reuseaddr", "SYSTEM:echo SSH-2.0-VCluster"], "tcp 0.0.0.0:22"),
            new(NameServer, "name server (dnsmasq)", NameService.ServerCommand(manifest.Sandbox.Hosts), $"udp {NameService.Address}:53"),
        ];
        var started = services.Where(s => Start(state, holder, s.Name, s.Command)).ToList();
        if (started.Count > 0)
            WaitAnswering(state, holder, started, cancellation);
        if (started.Any(s => s.Name == NameServer))
            state.HostsMapLoaded = HostsMapStamp;
        else if (state.HostsMapLoaded != HostsMapStamp)
            ReloadNames(state, cancellation);
    }

    /// <summary>Whether the name server has read the hosts map as it is now.</summary>
    public bool NamesCurrent(RuntimeState state) => state.HostsMapLoaded == HostsMapStamp;

    private string HostsMap => Path.Combine(manifest.Root, Path.GetRelativePath(manifest.SandboxRoot, manifest.Sandbox.Hosts));

    private long HostsMapStamp => File.GetLastWriteTimeUtc(HostsMap).Ticks;

    /// <summary>
    /// dnsmasq reads the hosts map when it starts and when it gets SIGHUP: a generation that
    /// added names (declared instances) while the cluster ran would otherwise leave them
    /// unknown, and Ganeti's name check refuses an instance whose name does not resolve.
    /// Done once the last name of the map resolves on the master.
    /// </summary>
    private void ReloadNames(RuntimeState state, CancellationToken cancellation)
    {
        var nameServer = state.Processes.Single(p => p.Name == NameServer).Process;
        // nsenter runs dnsmasq as its child, in the sandbox.
        var children = File.ReadAllText($"/proc/{nameServer.Pid}/task/{nameServer.Pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var child in children)
        {
            if (LinuxProcess.TryRead(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture)) is { } dnsmasq)
                dnsmasq.Signal(LinuxProcess.SigHup);
        }
        var last = File.ReadLines(HostsMap).LastOrDefault(l => l.Trim().Length > 0)?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var master = manifest.Node(ClusterRoles.Read(manifest).Master);
        var deadline = DateTime.UtcNow + AnswerTimeout;
        while (last is { Length: >= 2 }
            && !Shell.Run([Path.Combine(master.Root, "cmd"), CommandLine.Join(["getent", "hosts", last[1]])], TimeSpan.FromSeconds(10), cancellation).Succeeded)
        {
            if (DateTime.UtcNow > deadline)
                throw Failed($"the sandbox's name server (dnsmasq)", $"did not learn the new names of {HostsMap} ('{last[1]}' does not resolve)", LogFile(NameServer));
            Task.Delay(100, cancellation).Wait(cancellation);
        }
        state.HostsMapLoaded = HostsMapStamp;
    }

    /// <summary>The cluster's cron, in the sandbox, where down's sweep ends it with everything else.</summary>
    public void EnsureWatcher(RuntimeState state, LinuxProcess holder)
    {
        if (manifest.Sandbox.WatcherInterval > 0)
            Start(state, holder, Watcher, ["/bin/sh", manifest.Sandbox.Watcher]);
    }

    /// <summary>Starts <paramref name="command"/> in the sandbox unless the service runs; true if it was started.</summary>
    private bool Start(RuntimeState state, LinuxProcess holder, string name, IReadOnlyList<string> command)
    {
        if (state.Processes.Any(p => p.Name == name && p.Process.IsAlive))
            return false;
        state.Processes.RemoveAll(p => p.Name == name);
        var pid = Shell.Detached(Sandbox.Enter(holder, command), LogFile(name));
        // Gone already: recorded as it was, so the wait below reports it with its log.
        var process = LinuxProcess.TryRead(pid) ?? new LinuxProcess(pid, -1);
        state.Processes.Add(new TrackedProcess("", name, process.Pid, process.StartTime));
        return true;
    }

    private void WaitAnswering(RuntimeState state, LinuxProcess holder, IReadOnlyList<Service> services, CancellationToken cancellation)
    {
        var pending = services.ToList();
        var deadline = DateTime.UtcNow + AnswerTimeout;
        while (true)
        {
            var listeners = Sandbox.Listeners(holder);
            pending.RemoveAll(s => listeners.Contains(s.Listener));
            if (pending.Count == 0)
                return;
            // The command nsenter runs is its child: nsenter ends when it does.
            var dead = pending.FirstOrDefault(s => !state.Processes.Single(p => p.Name == s.Name).Process.IsAlive);
            if (dead is not null)
                throw Failure(dead, "exited at start");
            if (DateTime.UtcNow > deadline)
                throw Failure(pending[0], $"does not answer on {pending[0].Listener.Replace(' ', ':')} after {AnswerTimeout.TotalSeconds:F0} s");
            Task.Delay(50, cancellation).Wait(cancellation);
        }
    }

    private VClusterException Failure(Service service, string what) =>
        Failed($"the sandbox's {service.Description}", what, LogFile(service.Name));

    /// <summary>The error for a sandbox service that did not start or answer: what, why, and its log's last line.</summary>
    public static VClusterException Failed(string service, string what, string logFile) =>
        new(new VClusterDiagnostic(ErrorCodes.SandboxServiceFailed,
            $"{service} {what}; its log, {logFile}, ends: {LastLine(logFile) ?? "(empty)"}"));

    private static string? LastLine(string logFile) =>
        File.Exists(logFile) ? File.ReadLines(logFile).LastOrDefault(l => l.Trim().Length > 0)?.Trim() : null;
}
