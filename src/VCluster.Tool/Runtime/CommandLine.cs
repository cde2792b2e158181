using System.Text.RegularExpressions;

namespace VCluster.Tool.Runtime;

/// <summary>
/// A node's <c>cmd</c> takes one command line (Ganeti's virtual-cluster convention: it runs
/// <c>bash -c "$*"</c>). An argument list becomes one by quoting each word for the shell, so
/// that what runs is exactly the list.
/// </summary>
public static partial class CommandLine
{
    [GeneratedRegex("^[A-Za-z0-9_@%+=:,./-]+$")]
    private static partial Regex Plain();

    public static string Quote(string word) =>
        word.Length > 0 && Plain().IsMatch(word) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));
}
