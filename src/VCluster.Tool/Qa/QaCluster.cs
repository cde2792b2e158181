using VCluster.Engine.Manifest;

namespace VCluster.Tool.Qa;

/// <summary>
/// What QA's configuration and the policy's conditions need to know about the cluster: the disk
/// templates it enables, its volume group (null: no LVM), the fewest physical volumes any
/// node's volume group has, and whether QA makes the cluster itself (<c>qa --own-cluster</c>).
/// The caller supplies them: <see cref="Of"/> reads them from the manifest, which <c>up</c>'s
/// <c>gnt-cluster init</c> follows too.
/// </summary>
public sealed record QaCluster(IReadOnlyList<string> DiskTemplates, string? VolumeGroup, int PhysicalVolumesPerNode, bool OwnCluster = false)
{
    /// <summary>Ganeti's DTS_MIRRORED (lib/_constants.py): the templates an instance can fail over or migrate with.</summary>
    public static readonly IReadOnlySet<string> MirroredTemplates =
        new HashSet<string>(["blockdev", "diskless", "drbd", "ext", "gluster", "rbd", "sharedfile"], StringComparer.Ordinal);

    /// <summary>Ganeti's DTS_LVM: the templates whose disks are logical volumes.</summary>
    public static readonly IReadOnlySet<string> LvmTemplates = new HashSet<string>(["plain", "drbd"], StringComparer.Ordinal);

    public bool Lvm => VolumeGroup is not null;

    /// <summary>QA's exclusive-storage tests need two or more physical volumes on every node (qa/ganeti-qa.py:807-809).</summary>
    public bool ExclusiveStorage => Lvm && PhysicalVolumesPerNode >= 2;

    /// <summary>The cluster as the manifest declares it: its templates, its volume group, the fewest physical volumes of a node's.</summary>
    public static QaCluster Of(ClusterManifest manifest, bool ownCluster) => new(
        manifest.DiskTemplates, manifest.Lvm?.VolumeGroup,
        manifest.Lvm is null || manifest.Nodes.Count == 0 ? 0 : manifest.Nodes.Min(n => n.PhysicalVolumes), ownCluster);
}
