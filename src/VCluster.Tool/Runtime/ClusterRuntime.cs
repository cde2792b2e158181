using System.Diagnostics;
using System.Globalization;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime;

public sealed record DaemonStatus(string Name, string State, int? Pid, string Address, int Port, string? Protocol, double? UptimeSeconds);

public sealed record NodeStatus(string Name, string Address, bool Master, IReadOnlyList<DaemonStatus> Daemons);

/// <summary>
/// A cluster's state: "up" (every daemon it needs answers, RAPI included), "partial" (its
/// sandbox lives but something is missing: <see cref="Problems"/> says what; "up" completes
/// it, "down" stops it) or "down".
/// </summary>
public sealed record ClusterStatus(string Name, string Root, string State, IReadOnlyList<string> Problems, int? SandboxPid,
    IReadOnlyList<NodeStatus> Nodes, RapiStatus Rapi)
{
    public const string Up = "up";
    public const string Partial = "partial";
    public const string Down = "down";
}

/// <summary>
/// Runs a generated cluster's real Ganeti daemons in its sandbox: Ganeti's own daemon-util
/// starts them (so they run exactly as Ganeti runs them), the tool tracks every process by
/// pid and start time, and readiness means "the process lives and its socket is open".
/// </summary>
public sealed class ClusterRuntime(ClusterManifest manifest, TextWriter progress)
{
    private const string SshListener = "ssh-listener";
    private readonly Sandbox _sandbox = new(manifest);
    private readonly RapiAccess _rapi = new(manifest);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How many "gnt-node add" clients run at once (their jobs still run one by one).</summary>
    public int JoinParallelism { get; init; } = 3;

    private string StateDir => manifest.Sandbox.StateDir;

    // ---------------------------------------------------------------- up

    /// <summary>
    /// Brings the cluster up from whatever state it is in. A failure leaves the state recorded
    /// (status shows it as partial) and one that the next up completes or down stops.
    /// </summary>
    public int Up(CancellationToken cancellation)
    {
        RuntimeState? state = null;
        try
        {
            return Up(ref state, cancellation);
        }
        catch (Exception e) when (state is not null && e is VClusterException or OperationCanceledException)
        {
            state.UpCompleted = false;
            // The first line of each error: status lists it; the whole of it was printed here.
            state.UpFailure = e is VClusterException v ? string.Join("; ", v.Diagnostics.Select(d => d.Message.Split('\n')[0])) : "interrupted";
            state.Save(StateDir);
            progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] cluster '{manifest.Name}' is partly up: 'dotnet vcluster up' completes it, 'dotnet vcluster down' stops it");
            throw;
        }
    }

    private int Up(ref RuntimeState? state, CancellationToken cancellation)
    {
        state = RuntimeState.Load(StateDir);
        var holder = _sandbox.Holder(state);
        if (holder is not null && state is not null && state.UpCompleted && NotReady(state, holder.Value).Count == 0 && AllNodesJoined()
            && _rapi.IsReady(state, manifest.Node(MasterName())))
        {
            progress.WriteLine($"cluster '{manifest.Name}' is already up: {manifest.Nodes.Count} nodes, nothing to do");
            progress.WriteLine(RapiLine(state));
            return 0;
        }

        if (holder is null)
        {
            if (state is not null)
            {
                RapiAccess.StopForwarder(state); // it relays into the dead sandbox
                Sweep(state); // daemons a dead sandbox left behind cannot be reached any more
            }
            Step("starting the sandbox");
            var (started, userNamespace) = _sandbox.Start();
            state = new RuntimeState
            {
                SandboxPid = started.Pid,
                SandboxStartTime = started.StartTime,
                SandboxUserNamespace = userNamespace,
                StartedAt = DateTimeOffset.UtcNow,
            };
            state.Save(StateDir);
            _userNamespace = userNamespace;
            holder = started;
        }
        cancellation.ThrowIfCancellationRequested();

        state!.UpCompleted = false;
        state.UpFailure = null;
        EnsureSshListeners(state, manifest.Nodes);
        state.Save(StateDir);

        var master = manifest.Node(MasterName());
        var members = ClusterMembers();
        if (members.Count == 0)
        {
            EnsureHostKey(master, cancellation);
            Step($"{master.Name}: gnt-cluster init {manifest.Name}");
            RunOnNode(master, InitCommand(), "gnt-cluster init", TimeSpan.FromMinutes(5), cancellation);
            members = [master.Name];
        }
        else
        {
            // noded everywhere first: the master's wconfd asks the other nodes to vote.
            ForEachNode(members.Where(m => m != master.Name), n => StartDaemons(n, ["ganeti-noded"], cancellation), cancellation);
            var nodedLog = NodedLogLength(master);
            var started = StartDaemons(master, ExpectedDaemons(master).Select(d => d.Name), cancellation);
            ForEachNode(members.Where(m => m != master.Name), n => StartDaemons(n, ExpectedDaemons(n).Select(d => d.Name), cancellation), cancellation);
            EnsureMasterIp(holder.Value, master, started.Contains("ganeti-luxid") ? nodedLog : null, cancellation);
        }

        // Each "gnt-node add" prepares the new node from the client (prepare-node-join and
        // node-daemon-setup through ssh, about 2 s of Python) before its job runs, and the jobs
        // run one at a time under Ganeti's big lock: with a few clients at once, the next
        // nodes get ready while the current job runs.
        var joining = manifest.Nodes.Where(n => !members.Contains(n.Name)).ToList();
        ForEachNode(joining, node =>
        {
            Step($"{master.Name}: gnt-node add {node.Name}");
            RunOnNode(master, ["gnt-node", "add", "--no-ssh-key-check", node.Name], $"gnt-node add {node.Name}", TimeSpan.FromMinutes(10), cancellation);
            // Joining starts noded (and mond); the node's other daemons are ours to start.
            StartDaemons(node, ExpectedDaemons(node).Select(d => d.Name), cancellation);
        }, cancellation, parallelism: JoinParallelism);

        WaitReady(state, holder.Value, cancellation);
        Track(state);
        _rapi.Ensure(state, holder.Value, manifest.Node(MasterName()));
        state.UpCompleted = true;
        state.Save(StateDir);
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] cluster '{manifest.Name}' is up: {manifest.Nodes.Count} nodes, master {MasterName()} ({manifest.ClusterAddress})");
        progress.WriteLine(RapiLine(state));
        return 0;
    }

    private string RapiLine(RuntimeState state) =>
        $"RAPI: {RapiAccess.Url(state.Rapi!.Port)} (user {RapiAccess.User}, password in {_rapi.CredentialsFile})";

    private List<string> InitCommand() =>
    [
        "gnt-cluster", "init",
        "--no-etc-hosts", "--no-ssh-init", "--master-netdev=lo",
        "--enabled-hypervisors=fake",
        "--enabled-disk-templates=diskless,file,sharedfile",
        // The same path on every node names each node's own disk (SandboxLayout).
        $"--file-storage-dir={manifest.Sandbox.FileStorageDir}",
        $"--shared-file-storage-dir={manifest.Sandbox.SharedFileStorageDir}",
        // The bridge exists in the sandbox's network namespace, whose sysfs the nodes see.
        $"--nic-parameters=mode=bridged,link={manifest.Sandbox.Bridge}",
        // Instances without NICs or disks, or with small sparse disks, are the common test case.
        "--specs-nic-count=min=0", "--specs-disk-count=min=0", "--specs-disk-size=min=1",
        "--ipolicy-vcpu-ratio=32",
        manifest.Name,
    ];

    private bool AllNodesJoined()
    {
        var members = ClusterMembers();
        return manifest.Nodes.All(n => members.Contains(n.Name));
    }

    /// <summary>Nodes the cluster's configuration knows, read from the master's ssconf.</summary>
    private HashSet<string> ClusterMembers()
    {
        var master = manifest.Node(MasterName());
        if (!File.Exists(Path.Combine(master.Root, "var/lib/ganeti/config.data")))
            return [];
        var list = Path.Combine(master.Root, "var/lib/ganeti/ssconf_node_list");
        return File.Exists(list)
            ? File.ReadAllLines(list).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : [master.Name];
    }

    /// <summary>The master Ganeti names (it moves on master-failover), else the declared one.</summary>
    private string MasterName()
    {
        foreach (var node in manifest.Nodes.OrderByDescending(n => n.Master))
        {
            var file = Path.Combine(node.Root, "var/lib/ganeti/ssconf_master_node");
            if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } name && manifest.Nodes.Any(n => n.Name == name))
                return name;
        }
        return manifest.Master;
    }

    private HashSet<string> MasterCandidates(string master)
    {
        var file = Path.Combine(manifest.Node(master).Root, "var/lib/ganeti/ssconf_master_candidates");
        return File.Exists(file) ? File.ReadAllLines(file).Select(l => l.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase) : [master];
    }

    /// <summary>The cluster's roles as Ganeti's ssconf files name them right now.</summary>
    private sealed record Roles(string Master, HashSet<string> Candidates);

    private Roles CurrentRoles()
    {
        var master = MasterName();
        return new(master, MasterCandidates(master));
    }

    /// <summary>The daemons a node runs in its current role.</summary>
    public IReadOnlyList<ManifestDaemon> ExpectedDaemons(ManifestNode node) => ExpectedDaemons(node, CurrentRoles());

    private static IReadOnlyList<ManifestDaemon> ExpectedDaemons(ManifestNode node, Roles roles)
    {
        var (master, candidates) = roles;
        return node.Daemons.Where(d => d.Role switch
        {
            "master" => node.Name == master,
            "masterCandidates" => candidates.Contains(node.Name),
            _ => true,
        }).ToList();
    }

    /// <summary>
    /// <c>gnt-cluster init</c> reads the master's SSH host key (for the cluster's known_hosts).
    /// The other nodes need none of their own: joining copies the master's host keys onto the
    /// new node (prepare-node-join), as on a real cluster.
    /// </summary>
    private void EnsureHostKey(ManifestNode node, CancellationToken cancellation)
    {
        var key = Path.Combine(node.Root, "etc/ssh/ssh_host_rsa_key");
        if (File.Exists(key + ".pub"))
            return;
        Step($"{node.Name}: creating its SSH host key");
        var result = Shell.Run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", $"root@{node.Name}", "-f", key],
            TimeSpan.FromMinutes(1), cancellation);
        if (!result.Succeeded)
            throw Failure(node.Name, "ssh-keygen", result.Tail(3));
    }

    /// <summary>gnt-node add waits for TCP port 22 on the new node: a listener answers it.</summary>
    private void EnsureSshListeners(RuntimeState state, IEnumerable<ManifestNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (state.Processes.Any(p => p.Node == node.Name && p.Name == SshListener && p.Process.IsAlive))
                continue;
            state.Processes.RemoveAll(p => p.Node == node.Name && p.Name == SshListener);
            var pid = Shell.Detached([Path.Combine(node.Root, "cmd"), "socat", $"TCP-LISTEN:22,bind={node.Address},fork,reuseaddr",
                "SYSTEM:echo SSH-2.0-VCluster"], Path.Combine(StateDir, "run", $"{SshListener}-{node.Name}.log"));
            var process = LinuxProcess.TryRead(pid) ?? throw Failure(node.Name, SshListener, "exited at once");
            state.Processes.Add(new TrackedProcess(node.Name, SshListener, process.Pid, process.StartTime));
        }
    }

    /// <summary>Starts those of <paramref name="daemons"/> that do not run; returns their names.</summary>
    private List<string> StartDaemons(ManifestNode node, IEnumerable<string> daemons, CancellationToken cancellation)
    {
        var started = new List<string>();
        foreach (var name in daemons)
        {
            cancellation.ThrowIfCancellationRequested();
            var daemon = node.Daemons.Single(d => d.Name == name);
            if (LinuxProcess.FromPidFile(daemon.PidFile) is { } running && IsOurs(running))
                continue;
            // A pid file left by a killed daemon may name a zombie not yet reaped, or by now
            // a stranger: start-stop-daemon would take either for the daemon and skip it.
            if (File.Exists(daemon.PidFile))
                File.Delete(daemon.PidFile);
            Step($"{node.Name}: starting {name}");
            var result = RunOnNode(node, [Path.Combine(node.Prefix, "lib/ganeti/daemon-util"), "start", name], $"starting {name}", TimeSpan.FromMinutes(2), cancellation, check: false);
            if (!result.Succeeded)
                throw Failure(node.Name, name, $"daemon-util start failed: {result.Tail(5)}{LogTail(daemon)}");
            started.Add(name);
        }
        return started;
    }

    /// <summary>
    /// Makes sure the cluster IP is on the master after a resume (it lived in the old network
    /// namespace). Ganeti 3.0's luxid activates it by itself when it starts (Query/Server.hs,
    /// activateMasterIP), as on a rebooted master. A second activation racing that one would
    /// make master-ip-setup, which pings "here?" and then "elsewhere?", take the address just
    /// added for another machine's and fail. So when luxid has just started
    /// (<paramref name="nodedLogBeforeLuxid"/> is the length of the master's noded log then),
    /// its own activation is awaited, and the tool activates only if that one ended without
    /// the address: the outcome never depends on timing.
    /// </summary>
    private void EnsureMasterIp(LinuxProcess holder, ManifestNode master, long? nodedLogBeforeLuxid, CancellationToken cancellation)
    {
        if (nodedLogBeforeLuxid is { } offset)
        {
            var deadline = _clock.Elapsed + ReadyTimeout;
            while (!Sandbox.HasAddress(holder, manifest.ClusterAddress) && !MasterIpActivationAnswered(master, offset) && _clock.Elapsed < deadline)
                Task.Delay(100, cancellation).Wait(cancellation);
        }
        if (Sandbox.HasAddress(holder, manifest.ClusterAddress))
            return;
        Step($"{master.Name}: gnt-cluster activate-master-ip");
        var result = RunOnNode(master, ["gnt-cluster", "activate-master-ip"], "activate-master-ip", TimeSpan.FromMinutes(2), cancellation, check: false);
        if (!Sandbox.HasAddress(holder, manifest.ClusterAddress))
            throw Failure(master.Name, "activate-master-ip", $"the cluster IP {manifest.ClusterAddress} is not on the master: {result.Tail(5)}");
    }

    private static string NodedLog(ManifestNode node) => node.Daemons.Single(d => d.Name == "ganeti-noded").LogFile;

    private static long NodedLogLength(ManifestNode node) => File.Exists(NodedLog(node)) ? new FileInfo(NodedLog(node)).Length : 0;

    /// <summary>Whether the master's noded has answered an activation RPC since its log had <paramref name="offset"/> bytes.</summary>
    private static bool MasterIpActivationAnswered(ManifestNode master, long offset)
    {
        if (!File.Exists(NodedLog(master)))
            return false;
        using var log = new FileStream(NodedLog(master), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        log.Seek(Math.Min(offset, log.Length), SeekOrigin.Begin);
        return new StreamReader(log).ReadToEnd().Contains("POST /node_activate_master_ip ", StringComparison.Ordinal);
    }

    private void WaitReady(RuntimeState state, LinuxProcess holder, CancellationToken cancellation)
    {
        Step("waiting for every daemon to answer");
        var deadline = _clock.Elapsed + ReadyTimeout;
        while (true)
        {
            var missing = NotReady(state, holder);
            if (missing.Count == 0)
                return;
            if (_clock.Elapsed > deadline)
            {
                throw new VClusterException(missing.Take(10).Select(m => new VClusterDiagnostic(ErrorCodes.DaemonFailed,
                    $"node {m.Node.Name}: {m.Daemon.Name} is not ready after {ReadyTimeout.TotalSeconds:F0} s ({m.Why}){LogTail(m.Daemon)}")).ToList());
            }
            Task.Delay(250, cancellation).Wait(cancellation);
        }
    }

    private List<(ManifestNode Node, ManifestDaemon Daemon, string Why)> NotReady(RuntimeState state, LinuxProcess holder)
    {
        var listeners = Sandbox.Listeners(holder);
        var roles = CurrentRoles();
        var missing = new List<(ManifestNode, ManifestDaemon, string)>();
        foreach (var node in manifest.Nodes)
        {
            foreach (var daemon in ExpectedDaemons(node, roles))
            {
                var why = Readiness(daemon, node, listeners);
                if (why is not null)
                    missing.Add((node, daemon, why));
            }
        }
        return missing;
    }

    /// <summary>Null when ready, else why not.</summary>
    private string? Readiness(ManifestDaemon daemon, ManifestNode node, IReadOnlySet<string> listeners)
    {
        if (LinuxProcess.FromPidFile(daemon.PidFile) is not { } process || !IsOurs(process))
            return "not running";
        if (daemon.Port > 0 && !listeners.Contains($"{daemon.Protocol} {node.Address}:{daemon.Port}"))
            return $"not listening on {node.Address}:{daemon.Port}/{daemon.Protocol}";
        if (daemon.Socket is not null && !File.Exists(daemon.Socket))
            return $"no socket {daemon.Socket}";
        return null;
    }

    private void Track(RuntimeState state)
    {
        state.Processes.RemoveAll(p => p.Name != SshListener);
        foreach (var node in manifest.Nodes)
        {
            foreach (var daemon in node.Daemons)
            {
                if (LinuxProcess.FromPidFile(daemon.PidFile) is { } process && IsOurs(process))
                    state.Processes.Add(new TrackedProcess(node.Name, daemon.Name, process.Pid, process.StartTime));
            }
        }
    }

    /// <summary>A process is the cluster's only if it lives in the cluster's user namespace.</summary>
    private bool IsOurs(LinuxProcess process)
    {
        _userNamespace ??= RuntimeState.Load(StateDir)?.SandboxUserNamespace;
        return _userNamespace is not null && process.UserNamespace == _userNamespace;
    }

    private string? _userNamespace;

    // ---------------------------------------------------------------- down, destroy

    public int Down(CancellationToken cancellation)
    {
        var state = RuntimeState.Load(StateDir);
        if (state is not null)
            RapiAccess.StopForwarder(state); // first: no new connections into a cluster going down
        if (state is null || (!state.Sandbox.IsAlive && !LinuxProcess.InUserNamespace(state.SandboxUserNamespace).Any()))
        {
            RuntimeState.Delete(StateDir);
            progress.WriteLine($"cluster '{manifest.Name}' is already down");
            return 0;
        }
        var master = MasterName();
        // Other nodes first, the master's daemons last, each node's in reverse start order.
        foreach (var node in manifest.Nodes.OrderBy(n => n.Name == master))
            StopNodeProcesses(state, node, LinuxProcess.SigTerm, includeListener: true);
        state.Sandbox.Signal(LinuxProcess.SigKill);
        Sweep(state);
        RuntimeState.Delete(StateDir);
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] cluster '{manifest.Name}' is down; its state stays in {manifest.Root}");
        return 0;
    }

    public int Destroy(CancellationToken cancellation)
    {
        Down(cancellation);
        // Run-time state is everything under the root that generation did not write.
        // Without the record nothing tells generated files from run-time state: touch nothing.
        if (!File.Exists(Path.Combine(manifest.Root, LayoutWriter.RecordPath)))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ManifestMissing,
                $"cluster '{manifest.Name}' has no generation record ({LayoutWriter.RecordPath}); generate it again before destroying"));
        var generated = LayoutWriter.GeneratedPaths(manifest.Root).ToHashSet(StringComparer.Ordinal);
        var removed = RemoveRunTimeState(manifest.Root, manifest.Root, generated);
        progress.WriteLine($"cluster '{manifest.Name}' destroyed: {removed} run-time files removed; the next 'up' initialises a new cluster");
        return 0;
    }

    /// <summary>
    /// Deletes every file and link under <paramref name="dir"/> that generation did not write,
    /// and the folders that end up empty. Links are removed or kept, never followed: the
    /// install prefix links into the installed Ganeti.
    /// </summary>
    private static int RemoveRunTimeState(string root, string dir, HashSet<string> generated)
    {
        var removed = 0;
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            var relative = Path.GetRelativePath(root, entry.FullName);
            // The record, the probe cache, the sandbox maps and the lock held right now stay.
            if (relative is LayoutWriter.RecordPath or ".state/cache" or ".state/run" || relative.StartsWith(".state/sandbox", StringComparison.Ordinal))
                continue;
            if (entry.LinkTarget is null && entry is DirectoryInfo sub)
            {
                removed += RemoveRunTimeState(root, sub.FullName, generated);
                if (!generated.Contains(relative) && !sub.EnumerateFileSystemInfos().Any())
                    sub.Delete();
            }
            else if (!generated.Contains(relative))
            {
                entry.Delete();
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Kills whatever still lives in the cluster's user namespace, and waits for it.</summary>
    private static void Sweep(RuntimeState state)
    {
        for (var i = 0; i < 50; i++)
        {
            var left = LinuxProcess.InUserNamespace(state.SandboxUserNamespace).ToList();
            if (left.Count == 0)
                return;
            foreach (var process in left)
                process.Signal(LinuxProcess.SigKill);
            Thread.Sleep(100);
        }
    }

    private void StopNodeProcesses(RuntimeState state, ManifestNode node, int signal, bool includeListener)
    {
        var targets = new List<LinuxProcess>();
        foreach (var daemon in node.Daemons.AsEnumerable().Reverse())
        {
            if (LinuxProcess.FromPidFile(daemon.PidFile) is { } process && process.UserNamespace == state.SandboxUserNamespace)
                targets.Add(process);
        }
        targets.AddRange(state.Processes.Where(p => p.Node == node.Name && p.Process.IsAlive && (includeListener || p.Name != SshListener)).Select(p => p.Process));
        // Whatever else runs as this node (noded's request workers, jobs' helpers) goes too:
        // a stopped or crashed machine keeps nothing running, and a leftover worker would
        // hold the node's port against the next noded.
        targets.AddRange(NodeProcesses(state, node));
        targets = targets.Distinct().ToList();
        foreach (var process in targets)
            process.Signal(signal);
        // Daemons get a moment to shut down cleanly, then are killed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(signal == LinuxProcess.SigKill ? 5 : 15);
        while (targets.Any(t => t.IsAlive) && DateTime.UtcNow < deadline)
            Thread.Sleep(100);
        foreach (var process in targets.Where(t => t.IsAlive))
            process.Signal(LinuxProcess.SigKill);
        if (includeListener)
            state.Processes.RemoveAll(p => p.Node == node.Name && p.Name == SshListener);
    }

    /// <summary>Every process in the sandbox that runs as <paramref name="node"/>.</summary>
    private static IEnumerable<LinuxProcess> NodeProcesses(RuntimeState state, ManifestNode node) =>
        LinuxProcess.InUserNamespace(state.SandboxUserNamespace)
            .Where(p => p.Pid != state.SandboxPid && p.HasEnvironment("GANETI_HOSTNAME", node.Name));

    // ---------------------------------------------------------------- single nodes

    public int StopNode(string name, bool kill, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var node = manifest.Node(name);
        StopNodeProcesses(state, node, kill ? LinuxProcess.SigKill : LinuxProcess.SigTerm, includeListener: true);
        state.Save(StateDir);
        progress.WriteLine(kill ? $"node {name}: every process killed (SIGKILL)" : $"node {name}: stopped");
        return 0;
    }

    public int StartNode(string name, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var node = manifest.Node(name);
        EnsureSshListeners(state, [node]);
        state.Save(StateDir);
        StartDaemons(node, ExpectedDaemons(node).Select(d => d.Name), cancellation);
        WaitReady(state, state.Sandbox, cancellation);
        Track(state);
        state.Save(StateDir);
        progress.WriteLine($"node {name}: started");
        return 0;
    }

    private RuntimeState RequireRunning()
    {
        var state = RuntimeState.Load(StateDir);
        if (state is null || !state.Sandbox.IsAlive)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ClusterNotRunning,
                $"cluster '{manifest.Name}' is not running; start it with: dotnet vcluster up --manifest {Path.Combine(manifest.Root, ClusterManifest.FileName)}"));
        return state;
    }

    // ---------------------------------------------------------------- status, exec, logs

    public ClusterStatus Status()
    {
        var state = RuntimeState.Load(StateDir);
        var running = state is not null && state.Sandbox.IsAlive;
        var listeners = running ? Sandbox.Listeners(state!.Sandbox) : [];
        var roles = CurrentRoles();
        var master = roles.Master;
        var nodes = manifest.Nodes.Select(node =>
        {
            var expected = running ? ExpectedDaemons(node, roles).Select(d => d.Name).ToHashSet() : [];
            var daemons = node.Daemons.Select(d =>
            {
                var process = running ? LinuxProcess.FromPidFile(d.PidFile) : null;
                var alive = process is { } p && p.UserNamespace == state!.SandboxUserNamespace;
                var stateName = !running ? "stopped"
                    : alive ? (Readiness(d, node, listeners) is null ? "running" : "starting")
                    : expected.Contains(d.Name) ? "dead" : "not-needed";
                return new DaemonStatus(d.Name, stateName, alive ? process!.Value.Pid : null, node.Address, d.Port, d.Protocol,
                    alive ? Math.Round(process!.Value.Uptime.TotalSeconds, 1) : null);
            }).ToList();
            return new NodeStatus(node.Name, node.Address, node.Name == master, daemons);
        }).ToList();
        var rapi = _rapi.Status(state, running);
        var problems = new List<string>();
        if (running)
        {
            if (!state!.UpCompleted)
                problems.Add(state.UpFailure is { } failure ? $"the last 'up' failed: {failure}" : "'up' has not finished");
            problems.AddRange(nodes.SelectMany(n => n.Daemons.Where(d => d.State is "dead" or "starting").Select(d => $"node {n.Name}: {d.Name} {d.State}")));
            if (rapi.State != "running")
                problems.Add($"the RAPI forwarder is {rapi.State}");
        }
        var clusterState = !running ? ClusterStatus.Down : problems.Count == 0 ? ClusterStatus.Up : ClusterStatus.Partial;
        return new ClusterStatus(manifest.Name, manifest.Root, clusterState, problems, running ? state!.SandboxPid : null, nodes, rapi);
    }

    /// <summary>Runs "gnt-cluster verify" on the master, ignoring only <see cref="VerifyPolicy"/>'s checks.</summary>
    public int Verify()
    {
        RequireRunning();
        var master = manifest.Node(MasterName());
        var exitCode = Shell.Interactive([Path.Combine(master.Root, "cmd"), .. VerifyPolicy.Arguments]);
        progress.WriteLine(exitCode == 0
            ? $"cluster '{manifest.Name}' verified: no errors (ignored, see docs/verify.md: {string.Join(", ", VerifyPolicy.IgnoredChecks.Select(c => c.Code))})"
            : $"error VCS0025: gnt-cluster verify found errors in cluster '{manifest.Name}' (exit {exitCode})");
        return exitCode == 0 ? 0 : 1;
    }

    /// <summary>
    /// Runs Ganeti's burnin on the master with free instance names of the cluster's reserved
    /// ones, leaving out only the phases <see cref="BurninPolicy"/> lists.
    /// </summary>
    public int Burnin(string template, int count, bool parallel, CancellationToken cancellation)
    {
        RequireRunning();
        var master = manifest.Node(MasterName());
        var used = RunOnNode(master, ["gnt-instance", "list", "--no-headers", "-o", "name"], "gnt-instance list", TimeSpan.FromMinutes(1), cancellation)
            .Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var names = manifest.Instances.Select(i => i.Name).Where(n => !used.Contains(n)).Take(count + 1).ToList();
        if (names.Count < count + 1)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InstanceNamesExhausted,
                $"burnin with {count} instance(s) needs {count + 1} free instance names (one for the rename phase); cluster '{manifest.Name}' " +
                $"reserves {manifest.Instances.Count} and {used.Count} instance(s) exist: raise VClusterInstanceCount (dotnet vcluster generate --instances)"));
        var leftOut = BurninPolicy.LeftOut.Where(l => l.Template == template).Select(l => l.Switch).ToList();
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] burnin -t {template} on {master.Name}: {string.Join(' ', names.Take(count))}" +
            (leftOut.Count > 0 ? $" (left out, see docs/burnin.md: {string.Join(' ', leftOut)})" : ""));
        var exitCode = Shell.Interactive([Path.Combine(master.Root, "cmd"), .. BurninPolicy.Arguments(template, names, parallel)]);
        progress.WriteLine(exitCode == 0
            ? $"[{_clock.Elapsed.TotalSeconds,6:F1}s] burnin -t {template} passed"
            : $"error {ErrorCodes.BurninFailed}: burnin -t {template} failed in cluster '{manifest.Name}' (exit {exitCode})");
        return exitCode == 0 ? 0 : 1;
    }

    public int Exec(string name, IReadOnlyList<string> command)
    {
        RequireRunning();
        var node = manifest.Node(name);
        return Shell.Interactive([Path.Combine(node.Root, "cmd"), .. command]);
    }

    public int Logs(string name, string? daemon, bool follow, int lines)
    {
        var node = manifest.Node(name);
        var logDir = Path.Combine(node.Root, "var/log/ganeti");
        IEnumerable<string> files;
        if (daemon is null)
        {
            files = node.Daemons.Select(d => d.LogFile).Where(File.Exists);
        }
        else
        {
            var match = node.Daemons.FirstOrDefault(d => d.Name == daemon || d.Name == "ganeti-" + daemon)
                ?? throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidNodeName,
                    $"node {name} has no daemon '{daemon}' (daemons: {string.Join(", ", node.Daemons.Select(d => d.Name))})"));
            files = [match.LogFile];
        }
        var list = files.ToList();
        if (list.Count == 0)
        {
            progress.WriteLine($"node {name} has no logs yet in {logDir}");
            return 0;
        }
        return Shell.Interactive(["tail", "-n", lines.ToString(CultureInfo.InvariantCulture), .. follow ? new[] { "-F" } : [], .. list]);
    }

    // ---------------------------------------------------------------- helpers

    private ShellResult RunOnNode(ManifestNode node, IReadOnlyList<string> command, string what, TimeSpan timeout, CancellationToken cancellation, bool check = true)
    {
        var result = Shell.Run([Path.Combine(node.Root, "cmd"), .. command], timeout, cancellation);
        if (check && !result.Succeeded)
            throw Failure(node.Name, what, result.Tail(15));
        return result;
    }

    private void ForEachNode(IEnumerable<string> names, Action<ManifestNode> action, CancellationToken cancellation) =>
        ForEachNode(names.Select(manifest.Node), action, cancellation);

    private static void ForEachNode(IEnumerable<ManifestNode> nodes, Action<ManifestNode> action, CancellationToken cancellation, int parallelism = 4)
    {
        try
        {
            Parallel.ForEach(nodes, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellation }, action);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is VClusterException))
        {
            throw new VClusterException(e.InnerExceptions.Cast<VClusterException>().SelectMany(x => x.Diagnostics).ToList());
        }
    }

    private void Step(string message)
    {
        lock (progress)
            progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] {message}");
    }

    private static VClusterException Failure(string node, string what, string detail) =>
        new(new VClusterDiagnostic(ErrorCodes.DaemonFailed, $"node {node}: {what} failed: {detail}"));

    private static string LogTail(ManifestDaemon daemon)
    {
        if (!File.Exists(daemon.LogFile))
            return "";
        var lines = File.ReadLines(daemon.LogFile).TakeLast(8).ToList();
        return lines.Count == 0 ? "" : $"\n  last lines of {daemon.LogFile}:\n    " + string.Join("\n    ", lines);
    }
}
