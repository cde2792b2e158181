namespace VCluster.Engine.Model;

/// <summary>
/// The disk templates a virtual cluster enables (<c>gnt-cluster init --enabled-disk-templates</c>),
/// in Ganeti's order: the first is Ganeti's default for an instance that names none.
/// </summary>
public static class DiskTemplates
{
    public const string Diskless = "diskless";
    public const string File = "file";
    public const string SharedFile = "sharedfile";

    public static readonly IReadOnlyList<string> Enabled = [Diskless, File, SharedFile];

    /// <summary>Templates whose disks live on the primary node's own storage (its file storage folder).</summary>
    public static bool UsesNodeDisk(string template) => template == File;

    /// <summary>Templates with a secondary node (Ganeti's DTS_INT_MIRROR: drbd); none is enabled here.</summary>
    public static bool HasSecondary(string template) => template == "drbd";

    public static bool HasDisks(string template) => template != Diskless;
}
