using System.Globalization;
using System.Runtime.InteropServices;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime;

/// <summary>
/// A process identified by pid and start time (clock ticks since boot, /proc/PID/stat field
/// 22): a pid alone may have been reused by a stranger since it was recorded.
/// </summary>
public readonly partial record struct LinuxProcess(int Pid, long StartTime)
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static LinuxProcess? TryRead(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // comm (field 2) may hold spaces and parentheses: fields after it follow the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] == "Z")
                return null; // a zombie has exited; only its parent has yet to reap it
            return new LinuxProcess(pid, long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static LinuxProcess? FromPidFile(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? TryRead(pid) : null;
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
    /// noded and never started node82's): the namespace alone does not tell.
    /// </summary>
    public static LinuxProcess? OfDaemon(ManifestDaemon daemon, string? userNamespace) =>
        FromPidFile(daemon.PidFile) is { } process && process.UserNamespace == userNamespace && process.Runs(daemon.Executable)
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
                return File.ReadAllText($"/proc/{Pid}/cmdline");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "";
            }
        }
    }

    /// <summary>Still the very process that was recorded.</summary>
    public bool IsAlive => TryRead(Pid) is { } now && now.StartTime == StartTime;

    /// <summary>The user namespace the process lives in, e.g. "user:[4026532281]".</summary>
    public string? UserNamespace => ReadLink($"/proc/{Pid}/ns/user");

    public TimeSpan Uptime
    {
        get
        {
            var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(Math.Max(0, uptime - StartTime / (double)ClockTicksPerSecond));
        }
    }

    public bool Signal(int signal) => IsAlive && NativeKill(Pid, signal) == 0;

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
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
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
            return File.ReadAllText($"/proc/{Pid}/environ").Split('\0').Contains(wanted);
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
}
