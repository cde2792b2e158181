using System.Globalization;

namespace VCluster.Tool.Runtime.Processes;

/// <summary>
/// A process identified by pid and start time (clock ticks since boot, /proc/PID/stat field
/// 22): a pid alone may have been reused by a stranger since it was recorded. The pid is the
/// one <see cref="Proc"/> shows: this machine's /proc, or the sandbox's own (its pid
/// namespace's, <see cref="SandboxProc"/>), where the daemons' pid files name them. What the
/// process does is asked of an <see cref="IProcessHost"/>.
/// </summary>
public readonly record struct LinuxProcess(int Pid, long StartTime)
{
    public const int SigHup = 1;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private readonly string? _proc;

    /// <summary>The /proc the pid is read in.</summary>
    public string Proc { get => _proc ?? "/proc"; init => _proc = value == "/proc" ? null : value; }

    /// <summary>The sandbox's /proc seen from this machine: the one mounted in the mount namespace of its first process.</summary>
    public static string SandboxProc(int holderPid) => $"/proc/{holderPid.ToString(CultureInfo.InvariantCulture)}/root/proc";
}
