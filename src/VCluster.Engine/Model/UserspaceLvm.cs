namespace VCluster.Engine.Model;

/// <summary>
/// LVM in user space: every node's volume group is kept by one program
/// (templates/cluster/lvm.sbn, written to the cluster's bin folder, first on every node's
/// PATH) that answers the LVM commands Ganeti runs as real LVM would, over sparse files in
/// the node's tree. Like real LVM, each command is a link to the one program.
/// </summary>
public static class UserspaceLvm
{
    /// <summary>The program's name in the cluster's bin folder.</summary>
    public const string Program = "lvm";

    /// <summary>Where a node keeps its volume group, relative to its tree: metadata and one sparse file per logical volume.</summary>
    public const string Folder = "lvm";

    /// <summary>The folder of the volume group's devices in the node's tree, which each node process sees at /dev/VG.</summary>
    public static string DeviceFolder(string volumeGroup) => Path.Combine(Folder, "dev", volumeGroup);

    /// <summary>Where inactive logical volumes wait, relative to the node's tree (out of /dev, as device-mapper's).</summary>
    public static string InactiveFolder(string volumeGroup) => Path.Combine(Folder, "inactive", volumeGroup);

    /// <summary>The volume group's lock, which every LVM command of the node takes.</summary>
    public static string LockFile => Path.Combine(Folder, "lock");

    /// <summary>The commands linked to the program (those Ganeti 3.0 and its QA run, and their siblings).</summary>
    public static readonly IReadOnlyList<string> Commands =
    [
        "lvs", "vgs", "pvs", "lvcreate", "lvremove", "lvrename", "lvchange", "lvextend", "lvresize", "lvreduce",
        "vgchange", "vgreduce", "pvchange", "blockdev",
    ];
}
