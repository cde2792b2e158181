namespace VCluster.Engine.Model;

/// <summary>
/// How a node's volume group is laid out, as pvcreate and vgcreate lay out a real disk and as
/// the user-space LVM (templates/cluster/lvm.sbn) does: the node's DiskGiB split evenly over
/// its physical volumes, each losing its first MiB to LVM's metadata area and keeping whole
/// 4-MiB extents (LVM's default extent size).
/// </summary>
public static class LvmGeometry
{
    public const int ExtentMiB = 4;
    public const int MetadataMiB = 1;

    /// <summary>Ganeti's MIN_VG_SIZE: the smallest volume group gnt-cluster init and verify accept.</summary>
    public const int GanetiMinimumMiB = 20480;

    /// <summary>The smallest DiskGiB whose volume group Ganeti accepts.</summary>
    public static int MinimumDiskGiB(int physicalVolumes) =>
        Enumerable.Range(1, 1024).First(gib => UsableMiB(gib, physicalVolumes) >= GanetiMinimumMiB);

    /// <summary>Whole extents of one physical volume: its share of the disk in 512-byte sectors, less the metadata area.</summary>
    public static long ExtentsPerVolume(int diskGiB, int physicalVolumes) =>
        ((long)diskGiB * (1L << 30) / physicalVolumes / 512 * 512 - ((long)MetadataMiB << 20)) / ((long)ExtentMiB << 20);

    /// <summary>The volume group's size in MiB, as <c>vgs -o vg_size --units m</c> gives it.</summary>
    public static long UsableMiB(int diskGiB, int physicalVolumes) =>
        physicalVolumes * ExtentsPerVolume(diskGiB, physicalVolumes) * ExtentMiB;
}
