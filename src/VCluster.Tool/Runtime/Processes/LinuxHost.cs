using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace VCluster.Tool.Runtime.Processes;

/// <summary>
/// This machine's processes: programs started by the path <see cref="HostPath"/> finds, with
/// that PATH; processes read from /proc and signalled with kill(2), or through a /proc folder
/// of another pid namespace with pidfd_send_signal(2).
/// </summary>
public sealed partial class LinuxHost : IProcessHost
{
    public ShellResult Run(IReadOnlyList<string> command, RunOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new RunOptions();
        using var process = Process.Start(Start(command, options.Environment, redirect: true)) ?? throw new InvalidOperationException($"cannot start {command[0]}");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (output)
                output.AppendLine(e.Data);
            options.OnOutputLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (options.StandardInput is not null)
            process.StandardInput.Write(options.StandardInput);
        process.StandardInput.Close();
        using var registration = cancellation.Register(() => TryKill(process));
        if (!process.WaitForExit(options.Timeout ?? Timeout.InfiniteTimeSpan))
        {
            TryKill(process);
            process.WaitForExit();
            lock (output)
                return new ShellResult(124, output + $"\n(timed out after {options.Timeout?.TotalSeconds:F0} s)");
        }
        process.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        lock (output)
            return new ShellResult(process.ExitCode, output.ToString());
    }

    public int Interactive(IReadOnlyList<string> command)
    {
        using var process = Process.Start(Start(command, null, redirect: false))!;
        process.WaitForExit();
        return process.ExitCode;
    }

    public int StartDetached(IReadOnlyList<string> command, string logFile)
    {
        using var process = Process.Start(Start(["setsid", "sh", "-c", "exec \"$@\" </dev/null >>\"$0\" 2>&1", logFile, .. command], null, redirect: false))!;
        return process.Id;
    }

    /// <summary>
    /// A program found by <see cref="HostPath"/> (by its full path: .NET would search only the
    /// caller's PATH), with that PATH for whatever it starts in turn.
    /// </summary>
    private static ProcessStartInfo Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?>? environment, bool redirect)
    {
        var start = new ProcessStartInfo(HostPath.Find(command[0]) ?? command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = redirect,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
        };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        start.Environment["PATH"] = HostPath.Value;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            start.Environment[key] = value;
        return start;
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public LinuxProcess? TryRead(int pid, string proc = "/proc") =>
        StatFields(pid, proc) is { } fields && fields[0] != "Z" // a zombie has exited; only its parent has yet to reap it
            ? new LinuxProcess(pid, long.Parse(fields[19], CultureInfo.InvariantCulture)) { Proc = proc }
            : null;

    /// <summary>/proc/PID/stat from field 3 on (comm, field 2, may hold spaces and parentheses: fields after it follow the last ')').</summary>
    private static string[]? StatFields(int pid, string proc)
    {
        try
        {
            var stat = File.ReadAllText($"{proc}/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public string CommandLine(LinuxProcess process) => ReadText($"{process.Proc}/{process.Pid}/cmdline") ?? "";

    public string? UserNamespace(LinuxProcess process) => ReadLink($"{process.Proc}/{process.Pid}/ns/user");

    public string? OwnUserNamespace => ReadLink("/proc/self/ns/user");

    public bool HasEnvironment(LinuxProcess process, string name, string value) =>
        ReadText($"{process.Proc}/{process.Pid}/environ")?.Split('\0').Contains($"{name}={value}") == true;

    public bool Signal(LinuxProcess process, int signal) =>
        this.IsAlive(process) && (process.Proc == "/proc" ? NativeKill(process.Pid, signal) == 0 : SignalThroughProc(process, signal));

    public bool SignalGroup(LinuxProcess process, int signal) =>
        this.IsAlive(process) && NativeKill(LeadsGroup(process) ? -process.Pid : process.Pid, signal) == 0;

    private static bool LeadsGroup(LinuxProcess process) =>
        StatFields(process.Pid, process.Proc) is { } fields && fields[2] == process.Pid.ToString(CultureInfo.InvariantCulture);

    public IEnumerable<LinuxProcess> InUserNamespace(string userNamespace)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadLink($"{dir}/ns/user") == userNamespace && TryRead(pid) is { } process)
                yield return process;
        }
    }

    public IReadOnlyList<int> Children(int pid) =>
        (ReadText($"/proc/{pid}/task/{pid}/children") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList();

    public double CpuSeconds(LinuxProcess process) =>
        StatFields(process.Pid, process.Proc) is { } fields
            ? fields[11..15].Sum(f => long.Parse(f, CultureInfo.InvariantCulture)) / (double)ClockTicksPerSecond // utime, stime, cutime, cstime
            : 0;

    public TimeSpan Uptime(LinuxProcess process)
    {
        var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(Math.Max(0, uptime - process.StartTime / (double)ClockTicksPerSecond));
    }

    /// <summary>
    /// A pid of another pid namespace means nothing to kill(2) here; its /proc folder, opened,
    /// is a handle on the process that pidfd_send_signal(2) takes, and it cannot be reused.
    /// </summary>
    private static bool SignalThroughProc(LinuxProcess process, int signal)
    {
        var fd = NativeOpen($"{process.Proc}/{process.Pid}", OpenReadOnlyCloseOnExec);
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

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
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
