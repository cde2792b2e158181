using System.Diagnostics;

namespace VCluster.Tests.Shared;

/// <summary>Runs a program to its end for a test: its exit code and what it wrote, standard output then standard error.</summary>
public static class TestProcess
{
    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }
}
