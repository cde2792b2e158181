using System.Globalization;
using System.Text.RegularExpressions;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Tests.Lifecycle;

/// <summary>
/// A machine for lifecycle tests: processes are entries of a table, and the few programs the
/// runtime starts do in it what they do on Linux. unshare makes a sandbox (its init, its user
/// namespace, its own pid numbers); Ganeti's daemon-util starts a node's daemons (pid file
/// written, socket made, port listening); ss lists what listens; ip shows the cluster IP.
/// Signals end processes at once. Every command run is recorded for the tests to read.
/// </summary>
public sealed partial class FakeHost(ClusterManifest manifest) : IProcessHost
{
    private sealed class Entry
    {
        public int Pid;
        public long StartTime;
        public string[] Command = [];
        public string? UserNamespace;
        public Dictionary<string, string> Environment = [];
        public bool Alive = true;
        public List<Entry> Children = [];
        /// <summary>Its pid in the sandbox's pid namespace, and that namespace's /proc as the tool sees it.</summary>
        public int? SandboxPid;
        public string? SandboxProc;
        public Sandbox? Sandbox;
    }

    private sealed class Sandbox(Entry init, string userNamespace)
    {
        public Entry Init => init;
        public string UserNamespace => userNamespace;
        public string Proc => LinuxProcess.SandboxProc(init.Pid);
        public HashSet<string> Listeners { get; } = [];
        public HashSet<string> Addresses { get; } = [];
        public int NextPid = 2;
    }

    private readonly List<Entry> _processes = [];
    private readonly object _lock = new();
    private int _nextPid = 1000;
    private long _clock = 1;
    private int _namespaces;
    private Sandbox? _sandbox;

    /// <summary>Every command run or started, as one line each (arguments joined by spaces).</summary>
    public List<string> Commands { get; } = [];

    /// <summary>Every signal sent and whom it reached: "SIGNAL node/daemon" or "SIGNAL command".</summary>
    public List<string> Signals { get; } = [];

    /// <summary>Whether daemon-util's start of a node's daemon fails (node, daemon): a failure of that start.</summary>
    public Func<string, string, bool> StartFails { get; set; } = (_, _) => false;

    /// <summary>What starting the master's luxid does besides (Ganeti 3.0's luxid activates the master IP itself).</summary>
    public Action<FakeHost, ManifestNode> OnLuxidStart { get; set; } = (host, master) => host.ActivateMasterIp(master);

    /// <summary>How many times "ip address show" is asked before luxid's own activation lands (0: at once).</summary>
    public int MasterIpDelay { get; set; }

    public bool HasClusterIp => _sandbox?.Addresses.Contains(manifest.ClusterAddress) == true;

    /// <summary>
    /// What luxid's activation does: after <see cref="MasterIpDelay"/> looks at the addresses,
    /// the address is there (unless it <paramref name="succeeds"/> not), and noded's log shows the RPC it answered.
    /// </summary>
    public void ActivateMasterIp(ManifestNode master, bool succeeds = true) => _activation = (master, succeeds, MasterIpDelay);

    private (ManifestNode Master, bool Succeeds, int Looks)? _activation;

    /// <summary>The sandbox's process of <paramref name="node"/>'s <paramref name="daemon"/>, if it runs.</summary>
    public LinuxProcess? Daemon(string node, string daemon)
    {
        lock (_lock)
            return _processes.FirstOrDefault(p => p.Alive && p.Sandbox == _sandbox && p.Environment.GetValueOrDefault("VCLUSTER_DAEMON") == $"{node}/{daemon}") is { } e
                ? View(e, inSandbox: true) : null;
    }

    /// <summary>Starts a process in the sandbox with a node's identity (a noded worker, a job's helper).</summary>
    public LinuxProcess StartAsNode(string node, string program)
    {
        lock (_lock)
            return View(Spawn([program], _sandbox, new() { ["GANETI_HOSTNAME"] = node }), inSandbox: true);
    }

    /// <summary>Starts a process in the sandbox that runs <paramref name="executable"/> under pid <paramref name="sandboxPid"/> (another node's daemon, say).</summary>
    public LinuxProcess StartInSandbox(string executable, int sandboxPid, string node)
    {
        lock (_lock)
        {
            var entry = Spawn([executable], _sandbox, new() { ["GANETI_HOSTNAME"] = node });
            entry.SandboxPid = sandboxPid;
            return View(entry, inSandbox: true);
        }
    }

    /// <summary>The sandbox dies (its init is killed behind the tool's back, as a reboot would).</summary>
    public void KillSandbox()
    {
        lock (_lock)
            Kill(_sandbox!.Init, "SIGKILL");
    }

    public bool IsRunning(LinuxProcess process)
    {
        lock (_lock)
            return Find(process) is { Alive: true };
    }

    // ------------------------------------------------------------------ IProcessHost

    public ShellResult Run(IReadOnlyList<string> command, RunOptions? options = null, CancellationToken cancellation = default)
    {
        lock (_lock)
        {
            Commands.Add(string.Join(' ', command));
            var inner = command[0] == "nsenter" ? command.SkipWhile(w => w != "--").Skip(1).ToList() : command.ToList();
            var nodeCommand = inner.Count == 2 && inner[0].EndsWith("/cmd", StringComparison.Ordinal) ? NodeCommand(inner[0], inner[1]) : null;
            if (nodeCommand is not null)
                return nodeCommand;
            return inner[0] switch
            {
                "ss" when inner.Contains("--processes") => ForwarderListening(inner[^1]),
                "ss" => new ShellResult(0, string.Concat(_sandbox!.Listeners.Select(l => $"{l.Split(' ')[0]} UNCONN 0 0 {l.Split(' ')[1]} 0.0.0.0:*\n"))),
                "ip" when inner.Contains("show") => new ShellResult(0, AddressList()),
                "iptables-nft" => Iptables(inner),
                _ => new ShellResult(0, ""),
            };
        }
    }

    private readonly HashSet<string> _iptablesRules = [];

    /// <summary>iptables' -C answers whether -A added the rule and -D did not take it away since.</summary>
    private ShellResult Iptables(List<string> command)
    {
        var operation = command.First(w => w is "-A" or "-C" or "-D");
        var rule = string.Join(' ', command.Where(w => w != operation));
        var known = operation switch
        {
            "-A" => _iptablesRules.Add(rule) || true,
            "-D" => _iptablesRules.Remove(rule),
            _ => _iptablesRules.Contains(rule),
        };
        return new ShellResult(known ? 0 : 1, known ? "" : "iptables: Bad rule (does a matching rule exist in that chain?).\n");
    }

    public int Interactive(IReadOnlyList<string> command)
    {
        lock (_lock)
            Commands.Add(string.Join(' ', command));
        return 0;
    }

    public int StartDetached(IReadOnlyList<string> command, string logFile)
    {
        lock (_lock)
        {
            Commands.Add(string.Join(' ', command));
            if (command[0] == "unshare")
            {
                var unshare = Spawn([.. command], null, []);
                var init = Spawn(["/bin/sh", "-c", "sleep infinity", Runtime.Resources.Sandbox.InitName], null, []);
                unshare.Children.Add(init);
                _sandbox = new Sandbox(init, $"user:[{4026532000 + ++_namespaces}]");
                init.UserNamespace = _sandbox.UserNamespace;
                init.Sandbox = _sandbox;
                init.SandboxPid = 1;
                init.SandboxProc = _sandbox.Proc;
                return unshare.Pid;
            }
            var inSandbox = command[0] == "nsenter";
            var inner = inSandbox ? command.SkipWhile(w => w != "--").Skip(1).ToArray() : [.. command];
            var entered = Spawn([.. command], null, []);
            if (inSandbox)
            {
                entered.UserNamespace = _sandbox!.UserNamespace;
                var service = Spawn(inner, _sandbox, []);
                entered.Children.Add(service);
                if (inner[0] == "socat")
                    _sandbox.Listeners.Add("tcp 0.0.0.0:22");
                if (inner[0] == "dnsmasq")
                    _sandbox.Listeners.Add("udp 127.0.0.53:53");
                if (inner[0].EndsWith("/vcluster-packet-delay", StringComparison.Ordinal))
                    File.AppendAllText(logFile, $"vcluster-packet-delay: queue {inner[1]} bound, {inner.Length - 2} delays\n");
            }
            return entered.Pid;
        }
    }

    public LinuxProcess? TryRead(int pid, string proc = "/proc")
    {
        lock (_lock)
        {
            var entry = proc == "/proc"
                ? _processes.FirstOrDefault(p => p.Pid == pid)
                : _processes.FirstOrDefault(p => p.SandboxProc == proc && p.SandboxPid == pid && p.Sandbox?.Init.Alive == true);
            return entry is { Alive: true } ? View(entry, proc != "/proc") : null;
        }
    }

    public string CommandLine(LinuxProcess process)
    {
        lock (_lock)
            return Find(process) is { Alive: true } e ? string.Join('\0', e.Command) + "\0" : "";
    }

    public string? UserNamespace(LinuxProcess process)
    {
        lock (_lock)
            return Find(process) is { Alive: true } e ? e.UserNamespace ?? OwnUserNamespace : null;
    }

    public string? OwnUserNamespace => "user:[4026531837]";

    public bool HasEnvironment(LinuxProcess process, string name, string value)
    {
        lock (_lock)
            return Find(process) is { Alive: true } e && e.Environment.GetValueOrDefault(name) == value;
    }

    public bool Signal(LinuxProcess process, int signal)
    {
        lock (_lock)
        {
            if (Find(process) is not { Alive: true } entry)
                return false;
            var name = signal switch { LinuxProcess.SigKill => "SIGKILL", LinuxProcess.SigTerm => "SIGTERM", LinuxProcess.SigHup => "SIGHUP", _ => $"SIG{signal}" };
            if (signal == LinuxProcess.SigHup)
                Signals.Add($"{name} {Describe(entry)}");
            else
                Kill(entry, name);
            return true;
        }
    }

    public bool SignalGroup(LinuxProcess process, int signal) => Signal(process, signal);

    public IEnumerable<LinuxProcess> InUserNamespace(string userNamespace)
    {
        lock (_lock)
            return _processes.Where(p => p.Alive && p.UserNamespace == userNamespace).Select(p => View(p, inSandbox: false)).ToList();
    }

    public IReadOnlyList<int> Children(int pid)
    {
        lock (_lock)
            return _processes.FirstOrDefault(p => p.Pid == pid)?.Children.Where(c => c.Alive).Select(c => c.Pid).ToList() ?? [];
    }

    public double CpuSeconds(LinuxProcess process) => 0;

    public TimeSpan Uptime(LinuxProcess process) => TimeSpan.FromSeconds(1);

    // ------------------------------------------------------------------ the programs

    [GeneratedRegex(@"^for d in (?<daemons>[^;]+); do")]
    private static partial Regex DaemonUtilStart();

    private ShellResult? NodeCommand(string cmd, string line)
    {
        var node = manifest.Nodes.Single(n => Path.Combine(n.Root, "cmd") == cmd);
        if (DaemonUtilStart().Match(line) is { Success: true } start)
        {
            foreach (var name in start.Groups["daemons"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (StartFails(node.Name, name))
                    return new ShellResult(1, $"ERROR: {name} failed to start\nvcluster: daemon-util start {name} failed\n");
                StartDaemon(node, node.Daemons.Single(d => d.Name == name));
            }
            return new ShellResult(0, "");
        }
        if (line == "gnt-cluster activate-master-ip")
        {
            _sandbox!.Addresses.Add(manifest.ClusterAddress);
            return new ShellResult(0, "");
        }
        return new ShellResult(0, "");
    }

    /// <summary>As daemon-util start: the daemon runs with the node's identity, writes its pid file (its sandbox pid), and answers.</summary>
    private void StartDaemon(ManifestNode node, ManifestDaemon daemon)
    {
        var entry = Spawn([daemon.Executable, .. daemon.Arguments], _sandbox,
            new() { ["GANETI_HOSTNAME"] = node.Name, ["VCLUSTER_DAEMON"] = $"{node.Name}/{daemon.Name}" });
        Directory.CreateDirectory(Path.GetDirectoryName(daemon.PidFile)!);
        File.WriteAllText(daemon.PidFile, $"{entry.SandboxPid}\n");
        if (daemon.Port > 0)
            _sandbox!.Listeners.Add($"{daemon.Protocol} {node.Address}:{daemon.Port.ToString(CultureInfo.InvariantCulture)}");
        if (daemon.Socket is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(daemon.Socket)!);
            File.WriteAllText(daemon.Socket, "");
        }
        if (daemon.Name == "ganeti-luxid")
            OnLuxidStart(this, node);
    }

    private string AddressList()
    {
        if (_activation is { } activation && activation.Looks-- <= 0)
        {
            _activation = null;
            if (activation.Succeeds)
                _sandbox!.Addresses.Add(manifest.ClusterAddress);
            var log = activation.Master.Daemons.Single(d => d.Name == "ganeti-noded").LogFile;
            Directory.CreateDirectory(Path.GetDirectoryName(log)!);
            File.AppendAllText(log, "2026-12-05 INFO 192.0.2.1:1811 POST /node_activate_master_ip HTTP/1.1 200\n");
        }
        else if (_activation is { } pending)
        {
            _activation = pending with { Looks = pending.Looks - 1 };
        }
        return string.Concat(_sandbox!.Addresses.Select(a => $"1: lo    inet {a}/32 scope global lo\n"));
    }

    private ShellResult ForwarderListening(string filter)
    {
        var port = filter.Split(':')[^1];
        var socat = _processes.LastOrDefault(p => p.Alive && p.Command[0] == "socat" && p.Command[1].StartsWith($"TCP-LISTEN:{port},", StringComparison.Ordinal));
        return new ShellResult(0, socat is null ? "" : $"LISTEN 0 5 127.0.0.1:{port} 0.0.0.0:* users:((\"socat\",pid={socat.Pid},fd=5))\n");
    }

    // ------------------------------------------------------------------ the table

    private Entry Spawn(string[] command, Sandbox? sandbox, Dictionary<string, string> environment)
    {
        var entry = new Entry { Pid = _nextPid++, StartTime = _clock++, Command = command, Environment = environment };
        if (sandbox is not null)
        {
            entry.Sandbox = sandbox;
            entry.UserNamespace = sandbox.UserNamespace;
            entry.SandboxProc = sandbox.Proc;
            entry.SandboxPid = sandbox.NextPid++;
        }
        _processes.Add(entry);
        return entry;
    }

    private Entry? Find(LinuxProcess process) =>
        process.Proc == "/proc"
            ? _processes.FirstOrDefault(p => p.Pid == process.Pid && p.StartTime == process.StartTime)
            : _processes.FirstOrDefault(p => p.SandboxProc == process.Proc && p.SandboxPid == process.Pid && p.StartTime == process.StartTime);

    private static LinuxProcess View(Entry entry, bool inSandbox) =>
        inSandbox && entry.SandboxPid is { } pid
            ? new LinuxProcess(pid, entry.StartTime) { Proc = entry.SandboxProc! }
            : new LinuxProcess(entry.Pid, entry.StartTime);

    private void Kill(Entry entry, string signal)
    {
        entry.Alive = false;
        Signals.Add($"{signal} {Describe(entry)}");
        // nsenter waits for the command it runs and ends with it.
        foreach (var parent in _processes.Where(p => p.Alive && p.Command.FirstOrDefault() == "nsenter" && p.Children.Contains(entry)))
            parent.Alive = false;
        if (entry.Sandbox is { } sandbox && sandbox.Init == entry)
        {
            // The end of a pid namespace's init ends everything in it; its network namespace goes too.
            foreach (var inside in _processes.Where(p => p.Alive && p.Sandbox == sandbox))
                inside.Alive = false;
            sandbox.Listeners.Clear();
            sandbox.Addresses.Clear();
            return;
        }
        if (entry.Environment.GetValueOrDefault("VCLUSTER_DAEMON") is { } daemon && entry.Sandbox is { } home)
        {
            var (nodeName, daemonName) = (daemon.Split('/')[0], daemon.Split('/')[1]);
            var node = manifest.Node(nodeName);
            var spec = node.Daemons.Single(d => d.Name == daemonName);
            if (spec.Port > 0)
                home.Listeners.Remove($"{spec.Protocol} {node.Address}:{spec.Port.ToString(CultureInfo.InvariantCulture)}");
        }
        foreach (var child in entry.Children.Where(c => c.Alive))
            Kill(child, signal);
        if (entry.Command[0] == "socat" && entry.Command[1] == "TCP-LISTEN:22,fork,reuseaddr")
            entry.Sandbox?.Listeners.Remove("tcp 0.0.0.0:22");
    }

    private static string Describe(Entry entry) =>
        entry.Environment.TryGetValue("VCLUSTER_DAEMON", out var daemon) ? daemon
        : entry.Environment.TryGetValue("GANETI_HOSTNAME", out var node) ? $"{node}/{Path.GetFileName(entry.Command[0])}"
        : Path.GetFileName(entry.Command[0]);
}
