using System.Diagnostics;
using System.Text;

namespace VCluster.Tool.Runtime;

public sealed record ShellResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    public string Tail(int lines = 10) =>
        string.Join('\n', Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}

/// <summary>Runs the well-kept tools the sandbox is built from (unshare, nsenter, ip, socat, ...).</summary>
public static class Shell
{
    /// <param name="onOutputLine">Called with each line of standard output as it comes (progress of a long step).</param>
    public static ShellResult Run(IReadOnlyList<string> command, TimeSpan? timeout = null, CancellationToken cancellation = default,
        IDictionary<string, string?>? environment = null, string? standardInput = null, Action<string>? onOutputLine = null)
    {
        var start = Start(command, environment, redirect: true);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {command[0]}");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (output)
                output.AppendLine(e.Data);
            onOutputLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
            process.StandardInput.Write(standardInput);
        process.StandardInput.Close();
        using var registration = cancellation.Register(() => TryKill(process));
        if (!process.WaitForExit(timeout ?? Timeout.InfiniteTimeSpan))
        {
            TryKill(process);
            process.WaitForExit();
            lock (output)
                return new ShellResult(124, output + $"\n(timed out after {timeout?.TotalSeconds:F0} s)");
        }
        process.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        lock (output)
            return new ShellResult(process.ExitCode, output.ToString());
    }

    /// <summary>Runs with the terminal attached (exec, shell, logs --follow) and returns the exit code.</summary>
    public static int Interactive(IReadOnlyList<string> command)
    {
        using var process = Process.Start(Start(command, null, redirect: false))!;
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>
    /// Starts a process that outlives the tool (the sandbox holder, ssh listeners): in its own
    /// session (a Ctrl+C in the terminal that ran "up" does not reach it), output to a log.
    /// Every step execs in place, so the pid returned is the process's own.
    /// </summary>
    public static int Detached(IReadOnlyList<string> command, string logFile)
    {
        var start = Start(["setsid", "sh", "-c", "exec \"$@\" </dev/null >>\"$0\" 2>&1", logFile, .. command], null, redirect: false);
        using var process = Process.Start(start)!;
        return process.Id;
    }

    /// <summary>
    /// A program found by <see cref="HostPath"/> (by its full path: .NET would search only the
    /// caller's PATH), with that PATH for whatever it starts in turn.
    /// </summary>
    private static ProcessStartInfo Start(IReadOnlyList<string> command, IDictionary<string, string?>? environment, bool redirect)
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
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                start.Environment[key] = value;
        }
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
}
