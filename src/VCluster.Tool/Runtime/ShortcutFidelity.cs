namespace VCluster.Tool.Runtime;

/// <summary>
/// Where the bulk shortcuts (bulk join, bulk population) are proven to write what Ganeti itself
/// writes: FidelityTests compare both ways on Debian's Ganeti 3.0. On another version they could
/// write what that Ganeti would not, so <c>up</c> takes Ganeti's own way there instead.
/// </summary>
public static class ShortcutFidelity
{
    public const string ProvenSeries = "3.0";

    public static bool ProvenOn(string ganetiVersion) =>
        ganetiVersion == ProvenSeries || ganetiVersion.StartsWith(ProvenSeries + ".", StringComparison.Ordinal);
}
