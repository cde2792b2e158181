using System.Diagnostics;
using System.Text;

namespace VCluster.Engine.Ganeti;

/// <summary>
/// One step of preparing a Ganeti (configure, make, mmdebstrap, tar): a program run to its end
/// with its output and errors in a log file (or, without one, returned), killed with its
/// children when the build is cancelled. The engine's own runner: the tool's process host is
/// not the engine's to use.
/// </summary>
internal static class StepProcess
{
    /// <summary>Runs <paramref name="command"/>; throws Win32Exception when the program cannot start.</summary>
    public static (int ExitCode, string Output) Run(IReadOnlyList<string> command, string workingDirectory, string? log,
        CancellationToken cancellation, IReadOnlyDictionary<string, string>? environment = null, IEnumerable<string>? unset = null)
    {
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        foreach (var name in unset ?? [])
            start.Environment.Remove(name);
        using var writer = log is null ? null : new StreamWriter(log, append: false) { AutoFlush = true };
        var output = new StringBuilder();
        var gate = new object();
        void Collect(string? line)
        {
            if (line is null)
                return;
            lock (gate)
            {
                if (writer is null)
                    output.AppendLine(line);
                else
                    writer.WriteLine(line);
            }
        }
        using var process = Process.Start(start)!;
        using (cancellation.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
        {
            process.StandardInput.Close();
            process.OutputDataReceived += (_, e) => Collect(e.Data);
            process.ErrorDataReceived += (_, e) => Collect(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.WaitForExit();
            cancellation.ThrowIfCancellationRequested();
            return (process.ExitCode, output.ToString());
        }
    }
}
