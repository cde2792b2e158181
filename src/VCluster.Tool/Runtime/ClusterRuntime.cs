using System.Diagnostics;
using System.Globalization;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Engine.Planning;
using VCluster.Tool.Runtime.Instances;
using VCluster.Tool.Runtime.Joins;

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
/// pid and start time, and readiness means "the process lives and its socket is open". How
/// the nodes of a new cluster join it is an <see cref="INodeJoin"/>.
/// </summary>
public sealed class ClusterRuntime(ClusterManifest manifest, TextWriter progress)
{
    private readonly Sandbox _sandbox = new(manifest);
    private readonly SandboxServices _services = new(manifest);
    private readonly RapiAccess _rapi = new(manifest);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How nodes join a new cluster (<see cref="NodeJoins"/>).</summary>
    public string Join { get; init; } = NodeJoins.Default;

    /// <summary>How declared instances the cluster lacks are created (<see cref="InstancePopulations"/>).</summary>
    public string Populate { get; init; } = InstancePopulations.Default;

    /// <summary>How long the last up took to create declared instances, if it created any.</summary>
    public TimeSpan? PopulateTime { get; private set; }

    /// <summary>A line per node and daemon, not only summaries.</summary>
    public bool Verbose { get; init; }

    private string StateDir => manifest.Sandbox.StateDir;

    private NodeControl Nodes(RuntimeState state) => new(manifest, progress, state, _clock) { Verbose = Verbose };

    // ---------------------------------------------------------------- up

    /// <summary>
    /// Brings the cluster up from whatever state it is in. A failure leaves the state recorded
    /// (status shows it as partial) and one that the next up completes or down stops.
    /// </summary>
    public int Up(CancellationToken cancellation)
    {
        var join = NodeJoins.Named(Join);
        var population = InstancePopulations.Named(Populate);
        RuntimeState? state = null;
        try
        {
            return Up(join, population, ref state, cancellation);
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

    private int Up(INodeJoin join, IInstancePopulation population, ref RuntimeState? state, CancellationToken cancellation)
    {
        state = RuntimeState.Load(StateDir);
        var holder = _sandbox.Holder(state);
        if (holder is not null && state is not null && IsUp(state, holder.Value))
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
            holder = started;
        }
        state!.UpCompleted = false;
        state.UpFailure = null;
        StoppedNodes.Clear(StateDir); // up starts every node
        try
        {
            _services.EnsureMachineServices(state, holder.Value, cancellation);
        }
        finally
        {
            state.Save(StateDir); // what was started is tracked, whatever happened
        }
        cancellation.ThrowIfCancellationRequested();

        var nodes = Nodes(state);
        var roles = ClusterRoles.Read(manifest);
        var members = roles.Members;
        var master = manifest.Node(roles.Master);
        if (members.Count == 0)
        {
            EnsureHostKey(master, cancellation);
            Step($"{master.Name}: gnt-cluster init {manifest.Name}");
            nodes.RunOnNode(master, InitCommand(), "gnt-cluster init", TimeSpan.FromMinutes(5), cancellation);
        }
        else
        {
            // Every node's own daemons first (noded, mond): the master's wconfd asks the other
            // nodes' noded to vote.
            var others = manifest.Nodes.Where(n => n.Name != master.Name && members.Contains(n.Name)).ToList();
            nodes.ForEachNode(others, "starting node daemons",
                n => nodes.StartDaemons(n, n.Daemons.Where(d => d.Role == "allNodes").Select(d => d.Name), cancellation), cancellation);
            var nodedLog = NodedLogLength(master);
            var started = nodes.StartDaemons(master, roles.DaemonsOf(master).Select(d => d.Name), cancellation);
            Step($"{master.Name}: master daemons running");
            EnsureMasterIp(nodes, holder.Value, master, started.Contains("ganeti-luxid") ? nodedLog : null, cancellation);
        }

        var joining = manifest.Nodes.Where(n => n.Name != master.Name && !members.Contains(n.Name)).ToList();
        if (joining.Count > 0)
        {
            Step($"joining {joining.Count} nodes ({Join})");
            join.Join(nodes, master, joining, cancellation);
        }

        // Every node's daemons in its role now: confd on master candidates, mond everywhere.
        var current = ClusterRoles.Read(manifest);
        nodes.ForEachNode(manifest.Nodes.Where(n => n.Name != master.Name), "starting daemons",
            n => nodes.StartDaemons(n, current.DaemonsOf(n).Select(d => d.Name), cancellation), cancellation);
        nodes.WaitReady(holder.Value, ReadyTimeout, cancellation);
        Track(state);
        PopulateTime = new DeclaredInstancesPhase(manifest, population).Run(nodes, manifest.Node(current.Master), cancellation);
        _rapi.Ensure(state, holder.Value);
        _services.EnsureWatcher(state, holder.Value);
        state.UpCompleted = true;
        state.Save(StateDir);
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] cluster '{manifest.Name}' is up: {manifest.Nodes.Count} nodes, master {current.Master} ({manifest.ClusterAddress})");
        progress.WriteLine(RapiLine(state));
        return 0;
    }

    /// <summary>
    /// The last up finished, every node is a member, every daemon answers, RAPI relays to the
    /// master, the cluster's DNS knows every generated name, and every declared instance exists.
    /// </summary>
    private bool IsUp(RuntimeState state, LinuxProcess holder)
    {
        var roles = ClusterRoles.Read(manifest);
        return state.UpCompleted && manifest.Nodes.All(n => roles.Members.Contains(n.Name))
            && Nodes(state).NotReady(holder).Count == 0 && _rapi.IsReady(state) && _services.NamesCurrent(state)
            && DeclaredInstancesPhase.Missing(manifest, manifest.Node(roles.Master)).Count == 0;
    }

    private string RapiLine(RuntimeState state) =>
        $"RAPI: {RapiAccess.Url(state.Rapi!.Port)} (user {RapiAccess.User}, password in {_rapi.CredentialsFile})";

    private List<string> InitCommand() =>
    [
        "gnt-cluster", "init",
        "--no-etc-hosts", "--no-ssh-init", "--master-netdev=lo",
        $"--enabled-hypervisors={InstanceDefinitions.Hypervisor}",
        $"--enabled-disk-templates={string.Join(',', DiskTemplates.Enabled)}",
        // The same path on every node names each node's own disk (SandboxLayout).
        $"--file-storage-dir={manifest.Sandbox.FileStorageDir}",
        $"--shared-file-storage-dir={manifest.Sandbox.SharedFileStorageDir}",
        // The bridge exists in the sandbox's network namespace, whose sysfs the nodes see.
        $"--nic-parameters=mode=bridged,link={manifest.Sandbox.Bridge}",
        // Instances without NICs or disks, or with small sparse disks, are the common test case.
        "--specs-nic-count=min=0", "--specs-disk-count=min=0", "--specs-disk-size=min=1",
        $"--ipolicy-vcpu-ratio={InstancePlanner.VcpuRatio}",
        manifest.Name,
    ];

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
            throw NodeControl.Failure(node.Name, "ssh-keygen", result.Tail(3));
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
    private void EnsureMasterIp(NodeControl nodes, LinuxProcess holder, ManifestNode master, long? nodedLogBeforeLuxid, CancellationToken cancellation)
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
        var result = nodes.RunOnNode(master, ["gnt-cluster", "activate-master-ip"], "activate-master-ip", TimeSpan.FromMinutes(2), cancellation, check: false);
        if (!Sandbox.HasAddress(holder, manifest.ClusterAddress))
            throw NodeControl.Failure(master.Name, "activate-master-ip", $"the cluster IP {manifest.ClusterAddress} is not on the master: {result.Tail(5)}");
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

    /// <summary>Records every daemon's process (pid and start time) in the run-time state.</summary>
    private void Track(RuntimeState state)
    {
        state.Processes.RemoveAll(p => !SandboxServices.Names.Contains(p.Name));
        foreach (var node in manifest.Nodes)
        {
            foreach (var daemon in node.Daemons)
            {
                if (LinuxProcess.OfDaemon(daemon, state.SandboxUserNamespace, state.SandboxProc) is { } process)
                    state.Processes.Add(new TrackedProcess(node.Name, daemon.Name, process.Pid, process.StartTime));
            }
        }
    }

    private void Step(string message) => progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] {message}");

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
        // The other nodes are switched off (SIGKILL): nothing of theirs needs a clean shutdown,
        // since Ganeti replaces its files atomically, and a Python daemon's exit costs a tenth
        // of a second of CPU, a minute for hundreds of nodes. The master's daemons (wconfd,
        // luxid) then get SIGTERM and a moment to shut down cleanly. Whatever is left in the
        // sandbox goes with it.
        var master = ClusterRoles.Read(manifest).Master;
        Terminate(state, manifest.Nodes.Where(n => n.Name != master), LinuxProcess.SigKill);
        Terminate(state, [manifest.Node(master)], LinuxProcess.SigTerm);
        state.Sandbox.Signal(LinuxProcess.SigKill);
        Sweep(state);
        RuntimeState.Delete(StateDir);
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] cluster '{manifest.Name}' is down; its state stays in {manifest.Root}");
        return 0;
    }

    /// <summary><paramref name="signal"/> to the daemons of <paramref name="nodes"/>, SIGKILL to those alive after 15 s.</summary>
    private static void Terminate(RuntimeState state, IEnumerable<ManifestNode> nodes, int signal)
    {
        var daemons = nodes.SelectMany(n => n.Daemons)
            .Select(d => LinuxProcess.OfDaemon(d, state.SandboxUserNamespace, state.SandboxProc)).OfType<LinuxProcess>().ToList();
        Signal(daemons, signal, TimeSpan.FromSeconds(15));
    }

    /// <summary>Sends <paramref name="signal"/> to every target, waits up to <paramref name="grace"/>, then kills what lives.</summary>
    private static void Signal(IReadOnlyCollection<LinuxProcess> targets, int signal, TimeSpan grace)
    {
        foreach (var process in targets)
            process.Signal(signal);
        var deadline = DateTime.UtcNow + grace;
        while (targets.Any(t => t.IsAlive) && DateTime.UtcNow < deadline)
            Thread.Sleep(100);
        foreach (var process in targets.Where(t => t.IsAlive))
            process.Signal(LinuxProcess.SigKill);
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
                TreeRemoval.OpenUp(sub);
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

    /// <summary>
    /// Stops everything that runs as <paramref name="node"/>: its daemons and whatever else
    /// runs with its identity (noded's request workers, jobs' helpers), as a stopped or crashed
    /// machine keeps nothing running; a leftover worker would hold the node's port against the
    /// next noded.
    /// </summary>
    private static void StopNodeProcesses(RuntimeState state, ManifestNode node, int signal)
    {
        var targets = node.Daemons.AsEnumerable().Reverse()
            .Select(d => LinuxProcess.OfDaemon(d, state.SandboxUserNamespace, state.SandboxProc)).OfType<LinuxProcess>()
            .Concat(LinuxProcess.InUserNamespace(state.SandboxUserNamespace)
                .Where(p => p.Pid != state.SandboxPid && p.HasEnvironment("GANETI_HOSTNAME", node.Name)))
            .Distinct().ToList();
        Signal(targets, signal, TimeSpan.FromSeconds(signal == LinuxProcess.SigKill ? 5 : 15));
    }

    // ---------------------------------------------------------------- single nodes

    public int StopNode(string name, bool kill, CancellationToken cancellation)
    {
        var state = RequireRunning();
        StoppedNodes.Add(StateDir, manifest.Node(name).Name); // no cron on a switched-off machine
        StopNodeProcesses(state, manifest.Node(name), kill ? LinuxProcess.SigKill : LinuxProcess.SigTerm);
        progress.WriteLine(kill ? $"node {name}: every process killed (SIGKILL)" : $"node {name}: stopped");
        return 0;
    }

    public int StartNode(string name, CancellationToken cancellation)
    {
        var state = RequireRunning();
        var node = manifest.Node(name);
        var nodes = Nodes(state);
        nodes.StartDaemons(node, ClusterRoles.Read(manifest).DaemonsOf(node).Select(d => d.Name), cancellation);
        StoppedNodes.Remove(StateDir, node.Name);
        nodes.WaitReady(state.Sandbox, ReadyTimeout, cancellation);
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
        var nodeControl = running ? Nodes(state!) : null;
        var roles = ClusterRoles.Read(manifest);
        var nodes = manifest.Nodes.Select(node =>
        {
            var expected = running ? roles.DaemonsOf(node).Select(d => d.Name).ToHashSet() : [];
            var daemons = node.Daemons.Select(d =>
            {
                var process = running ? nodeControl!.Running(d) : null;
                var alive = process is not null;
                var stateName = !running ? "stopped"
                    : alive ? (NodeControl.NotAnswering(d, node, listeners) is null ? "running" : "starting")
                    : expected.Contains(d.Name) ? "dead" : "not-needed";
                return new DaemonStatus(d.Name, stateName, alive ? process!.Value.Pid : null, node.Address, d.Port, d.Protocol,
                    alive ? Math.Round(process!.Value.Uptime.TotalSeconds, 1) : null);
            }).ToList();
            return new NodeStatus(node.Name, node.Address, node.Name == roles.Master, daemons);
        }).ToList();
        var rapi = _rapi.Status(state, running, manifest.Node(roles.Master));
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

    /// <summary>Runs "gnt-cluster verify" on the master, ignoring nothing (docs/verify.md).</summary>
    public int Verify()
    {
        RequireRunning();
        var master = manifest.Node(ClusterRoles.Read(manifest).Master);
        var exitCode = Shell.Interactive([Path.Combine(master.Root, "cmd"), CommandLine.Join(["gnt-cluster", "verify", "--error-codes"])]);
        progress.WriteLine(exitCode == 0
            ? $"cluster '{manifest.Name}' verified: no errors"
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
        var master = manifest.Node(ClusterRoles.Read(manifest).Master);
        var used = Nodes(RequireRunning()).RunOnNode(master, ["gnt-instance", "list", "--no-headers", "-o", "name"], "gnt-instance list", TimeSpan.FromMinutes(1), cancellation)
            .Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var names = manifest.Instances.Select(i => i.Name).Where(n => !used.Contains(n)).Take(count + 1).ToList();
        if (names.Count < count + 1)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InstanceNamesExhausted,
                $"burnin with {count} instance(s) needs {count + 1} free instance names (one for the rename phase); cluster '{manifest.Name}' " +
                $"reserves {manifest.Instances.Count} and {used.Count} instance(s) exist: raise VClusterInstanceCount (dotnet vcluster generate --instances)"));
        var leftOut = BurninPolicy.LeftOut.Where(l => l.Template == template).Select(l => l.Switch).ToList();
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] burnin -t {template} on {master.Name}: {string.Join(' ', names.Take(count))}" +
            (leftOut.Count > 0 ? $" (left out, see docs/burnin.md: {string.Join(' ', leftOut)})" : ""));
        var exitCode = Shell.Interactive([Path.Combine(master.Root, "cmd"), CommandLine.Join(BurninPolicy.Arguments(template, names, parallel))]);
        progress.WriteLine(exitCode == 0
            ? $"[{_clock.Elapsed.TotalSeconds,6:F1}s] burnin -t {template} passed"
            : $"error {ErrorCodes.BurninFailed}: burnin -t {template} failed in cluster '{manifest.Name}' (exit {exitCode})");
        return exitCode == 0 ? 0 : 1;
    }

    public int Exec(string name, IReadOnlyList<string> command)
    {
        RequireRunning();
        var node = manifest.Node(name);
        return Shell.Interactive([Path.Combine(node.Root, "cmd"), CommandLine.Join(command)]);
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
}
