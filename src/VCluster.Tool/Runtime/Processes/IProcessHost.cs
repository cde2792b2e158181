using VCluster.Engine;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime.Processes;

/// <param name="Timeout">How long the command may take (it is killed then, exit code 124).</param>
/// <param name="OnOutputLine">Called with each line of standard output as it comes (progress of a long step).</param>
public sealed record RunOptions(TimeSpan? Timeout = null, string? StandardInput = null, Action<string>? OnOutputLine = null,
    IReadOnlyDictionary<string, string?>? Environment = null);

/// <summary>
/// What the runtime asks of the machine's processes: start them (to completion, with the
/// terminal, or detached), and read and signal them as /proc shows them. The machine's is
/// <see cref="LinuxHost"/>; the tests' lifecycle checks give a fake, so that resuming, a
/// half-finished up or stopping a node are tested without starting a process.
/// </summary>
public interface IProcessHost
{
    ShellResult Run(IReadOnlyList<string> command, RunOptions? options = null, CancellationToken cancellation = default);

    /// <summary>Runs with the terminal attached (exec, shell, logs --follow) and returns the exit code.</summary>
    int Interactive(IReadOnlyList<string> command);

    /// <summary>
    /// Starts a process that outlives the tool, in its own session (a Ctrl+C in the terminal
    /// that ran the tool does not reach it), its output appended to <paramref name="logFile"/>;
    /// returns its pid (every step execs in place: the pid is the program's own).
    /// </summary>
    int StartDetached(IReadOnlyList<string> command, string logFile);

    /// <summary>The process <paramref name="pid"/> of <paramref name="proc"/>, or null if there is none or it is a zombie.</summary>
    LinuxProcess? TryRead(int pid, string proc = "/proc");

    /// <summary>The process's arguments, NUL-separated; empty once it is gone (or in the middle of an exec).</summary>
    string CommandLine(LinuxProcess process);

    /// <summary>Its user namespace, e.g. "user:[4026532281]", or null if it is gone.</summary>
    string? UserNamespace(LinuxProcess process);

    /// <summary>This process's own user namespace.</summary>
    string? OwnUserNamespace { get; }

    /// <summary>Whether its environment holds NAME=VALUE (our own processes only).</summary>
    bool HasEnvironment(LinuxProcess process, string name, string value);

    /// <summary>Sends <paramref name="signal"/> if it is still the very process; true if sent.</summary>
    bool Signal(LinuxProcess process, int signal);

    /// <summary>Signals its whole process group if it leads one (what StartDetached started: its forks too), else itself.</summary>
    bool SignalGroup(LinuxProcess process, int signal);

    /// <summary>Every live process (of this machine's /proc) in <paramref name="userNamespace"/>.</summary>
    IEnumerable<LinuxProcess> InUserNamespace(string userNamespace);

    /// <summary>The pids of its children, of this machine's /proc.</summary>
    IReadOnlyList<int> Children(int pid);

    /// <summary>CPU seconds it has used, with the children it reaped; 0 once it is gone.</summary>
    double CpuSeconds(LinuxProcess process);

    TimeSpan Uptime(LinuxProcess process);
}

/// <summary>What follows from the host's primitives, the same for the machine and a fake.</summary>
public static class ProcessHostExtensions
{
    /// <summary>Still the very process that was recorded.</summary>
    public static bool IsAlive(this IProcessHost host, LinuxProcess process) =>
        host.TryRead(process.Pid, process.Proc) is { } now && now.StartTime == process.StartTime;

    /// <summary>Whether <paramref name="executable"/> is one of the process's arguments (the program, or the script an interpreter runs).</summary>
    public static bool Runs(this IProcessHost host, LinuxProcess process, string executable) =>
        host.CommandLine(process).Split('\0').Contains(executable);

    public static LinuxProcess? FromPidFile(this IProcessHost host, string path, string proc = "/proc")
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                ? host.TryRead(pid, proc) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The daemon that <paramref name="daemon"/>'s pid file names, if it still runs in the
    /// sandbox's <paramref name="userNamespace"/> as that daemon. After a <c>down</c> the pid
    /// files of killed daemons stay, and with hundreds of nodes their pids are soon reused by
    /// other nodes' daemons (a resume of 250 nodes took node82's old pid file for node129's
    /// noded and never started node82's): the namespace alone does not tell. A daemon writes
    /// its pid as its pid namespace numbers it: <paramref name="proc"/> is that namespace's /proc.
    /// </summary>
    public static LinuxProcess? OfDaemon(this IProcessHost host, ManifestDaemon daemon, string? userNamespace, string proc) =>
        host.FromPidFile(daemon.PidFile, proc) is { } process && host.UserNamespace(process) == userNamespace && host.Runs(process, daemon.Executable)
            ? process : null;

    /// <summary>
    /// Sends <paramref name="signal"/> to every target, waits up to <paramref name="grace"/>
    /// for them to end, then kills what lives.
    /// </summary>
    public static void SignalAll(this IProcessHost host, IReadOnlyCollection<LinuxProcess> targets, int signal, TimeSpan grace)
    {
        foreach (var process in targets)
            host.Signal(process, signal);
        Wait.Until(() => !targets.Any(host.IsAlive), grace, interval: TimeSpan.FromMilliseconds(100));
        foreach (var process in targets.Where(host.IsAlive))
            host.Signal(process, LinuxProcess.SigKill);
    }
}
