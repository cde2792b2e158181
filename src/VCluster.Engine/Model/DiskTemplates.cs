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

    /// <summary>LVM logical volumes, on every node's volume group in user space (templates/cluster/lvm.sbn).</summary>
    public const string Plain = "plain";

    /// <summary>Ganeti's own default volume group name (gnt-cluster init --vg-name).</summary>
    public const string DefaultVolumeGroup = "xenvg";

    /// <summary>
    /// What a cluster enables: plain too where its nodes have volume groups, before the file
    /// templates. Ganeti reports a node's disk (gnt-node list dtotal/dfree, and so HTools) from
    /// the first enabled template with storage (src/Ganeti/Storage/Utils.hs,
    /// getClusterStorageUnitRaws): the volume group, as on the clusters production runs.
    /// </summary>
    public static IReadOnlyList<string> For(bool lvm) => lvm ? [Diskless, Plain, File, SharedFile] : [Diskless, File, SharedFile];

    /// <summary>Templates whose disks live on the primary node's own storage (its file storage folder or its volume group).</summary>
    public static bool UsesNodeDisk(string template) => template is File or Plain;

    /// <summary>Templates with a secondary node (Ganeti's DTS_INT_MIRROR: drbd); none is enabled here.</summary>
    public static bool HasSecondary(string template) => template == "drbd";

    public static bool HasDisks(string template) => template != Diskless;
}
