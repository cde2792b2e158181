using System.Globalization;

namespace VCluster.EndToEnd.Tests;

/// <summary>Reading what Ganeti's list commands print with <c>--no-headers --separator=|</c>.</summary>
internal static class GanetiOutput
{
    /// <summary>A size or count as Ganeti prints it ("64", "204796.0"), whole.</summary>
    public static int Number(string text) => (int)double.Parse(text.Trim(), CultureInfo.InvariantCulture);

    /// <summary>One row per line, one field per "|"-separated column.</summary>
    public static List<string[]> Table(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|').Select(f => f.Trim()).ToArray()).ToList();
}
