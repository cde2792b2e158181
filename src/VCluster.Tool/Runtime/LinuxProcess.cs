using System.Globalization;
using System.Runtime.InteropServices;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime;

/// <summary>
/// A process identified by pid and start time (clock ticks since boot, /proc/PID/stat field
/// 22): a pid alone may have been reused by a stranger since it was recorded. The pid is the
/// one <see cref="Proc"/> shows: this machine's /proc, or the sandbox's own (its pid
/// namespace's, <see cref="SandboxProc"/>), where the daemons' pid files name them.
/// </summary>
public readonly partial record struct LinuxProcess(int Pid, long StartTime)
{
    public const int SigHup = 1;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private readonly string? _proc;

    /// <summary>The /proc the pid is read in.</summary>
    public string Proc { get => _proc ?? "/proc"; init => _proc = value == "/proc" ? null : value; }

    /// <summary>The sandbox's /proc seen from this machine: the one mounted in the mount namespace of its first process.</summary>
    public static string SandboxProc(int holderPid) => $"/proc/{holderPid.ToString(CultureInfo.InvariantCulture)}/root/proc";

    public static LinuxProcess? TryRead(int pid, string proc = "/proc")
    {
        try
        {
            var stat = File.ReadAllText($"{proc}/{pid}/stat");
            // comm (field 2) may hold spaces and parentheses: fields after it follow the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] == "Z")
                return null; // a zombie has exited; only its parent has yet to reap it
            return new LinuxProcess(pid, long.Parse(fields[19], CultureInfo.InvariantCulture)) { Proc = proc };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static LinuxProcess? FromPidFile(string path, string proc = "/proc")
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? TryRead(pid, proc) : null;
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
    public static LinuxProcess? OfDaemon(ManifestDaemon daemon, string? userNamespace, string proc) =>
        FromPidFile(daemon.PidFile, proc) is { } process && process.UserNamespace == userNamespace && process.Runs(daemon.Executable)
            ? process : null;

    /// <summary>Whether <paramref name="executable"/> is one of the process's arguments (the program, or the script an interpreter runs).</summary>
    public bool Runs(string executable) => CommandLine.Split('\0').Contains(executable);

    /// <summary>The process's arguments, NUL-separated; empty once it is gone (or in the middle of an exec).</summary>
    public string CommandLine
    {
        get
        {
            try
            {
                return File.ReadAllText($"{Proc}/{Pid}/cmdline");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "";
            }
        }
    }

    /// <summary>
    /// CPU seconds the process has used, with those of the children it has reaped (utime,
    /// stime, cutime, cstime of /proc/PID/stat); 0 once it is gone.
    /// </summary>
    public double CpuSeconds
    {
        get
        {
            try
            {
                var stat = File.ReadAllText($"{Proc}/{Pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return fields[11..15].Sum(f => long.Parse(f, CultureInfo.InvariantCulture)) / (double)ClockTicksPerSecond;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return 0;
            }
        }
    }

    /// <summary>Still the very process that was recorded.</summary>
    public bool IsAlive => TryRead(Pid, Proc) is { } now && now.StartTime == StartTime;

    /// <summary>The user namespace the process lives in, e.g. "user:[4026532281]".</summary>
    public string? UserNamespace => ReadLink($"{Proc}/{Pid}/ns/user");

    public TimeSpan Uptime
    {
        get
        {
            var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(Math.Max(0, uptime - StartTime / (double)ClockTicksPerSecond));
        }
    }

    public bool Signal(int signal) => IsAlive && (_proc is null ? NativeKill(Pid, signal) == 0 : SignalThroughProc(signal));

    /// <summary>
    /// A pid of another pid namespace means nothing to kill(2) here; its /proc folder, opened,
    /// is a handle on the process that pidfd_send_signal(2) takes, and it cannot be reused.
    /// </summary>
    private bool SignalThroughProc(int signal)
    {
        var fd = NativeOpen($"{Proc}/{Pid}", OpenReadOnlyCloseOnExec);
        if (fd < 0)
            return false;
        try
        {
            return NativeSyscall(PidfdSendSignal, fd, signal, IntPtr.Zero, 0) == 0;
        }
        finally
        {
            NativeClose(fd);
        }
    }

    /// <summary>
    /// Signals the process's whole group if it leads one (as what <see cref="Shell.Detached"/>
    /// starts does: its forks go too), else the process alone.
    /// </summary>
    public bool SignalGroup(int signal) => IsAlive && NativeKill(LeadsGroup ? -Pid : Pid, signal) == 0;

    private bool LeadsGroup
    {
        get
        {
            try
            {
                var stat = File.ReadAllText($"{Proc}/{Pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2] == Pid.ToString(CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
            {
                return false;
            }
        }
    }

    /// <summary>Every live process whose user namespace is <paramref name="userNamespace"/>.</summary>
    public static IEnumerable<LinuxProcess> InUserNamespace(string userNamespace)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadLink($"{dir}/ns/user") == userNamespace && TryRead(pid) is { } process)
                yield return process;
        }
    }

    /// <summary>Whether the process's environment holds NAME=VALUE (our own processes only).</summary>
    public bool HasEnvironment(string name, string value)
    {
        try
        {
            var wanted = $"{name}={value}";
            return File.ReadAllText($"{Proc}/{Pid}/environ").Split('\0').Contains(wanted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // USER_HZ is 100 on every Linux architecture .NET runs on.
    private const int ClockTicksPerSecond = 100;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);

    // O_RDONLY | O_CLOEXEC, and the system call's number, are the same on x86-64 and arm64.
    private const int OpenReadOnlyCloseOnExec = 0x80000;
    private const long PidfdSendSignal = 424;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int NativeClose(int fd);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long NativeSyscall(long number, int fd, int signal, IntPtr info, uint flags);
}
