namespace VCluster.Tool.Runtime.Processes;

/// <summary>A finished command: its exit code and its output (standard output and error, as they came).</summary>
public sealed record ShellResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    public string Tail(int lines = 10) =>
        string.Join('\n', Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}
