namespace VCluster.Engine.Diagnostics;

/// <summary>One error, with where it comes from when that is known (line and column are 1-based, 0 = unknown).</summary>
public sealed record VClusterDiagnostic(string Code, string Message, string? File = null, int Line = 0, int Column = 0)
{
    /// <summary>The canonical compiler-style form: <c>file(line,col): error VCS0001: message</c>.</summary>
    public override string ToString()
    {
        var where = File is null ? "" : Line > 0 ? $"{File}({Line},{Math.Max(Column, 1)}): " : $"{File}: ";
        return $"{where}error {Code}: {Message}";
    }
}

/// <summary>Thrown when generation cannot go on; carries every error found, not only the first.</summary>
public sealed class VClusterException : Exception
{
    public VClusterException(IReadOnlyList<VClusterDiagnostic> diagnostics)
        : base(string.Join(Environment.NewLine, diagnostics))
    {
        Diagnostics = diagnostics;
    }

    public VClusterException(VClusterDiagnostic diagnostic) : this([diagnostic]) { }

    public IReadOnlyList<VClusterDiagnostic> Diagnostics { get; }
}
