namespace VCluster.Engine.Layout;

/// <summary>
/// Removing what a cluster leaves on disk. A node's /etc overlay leaves overlayfs' work folder
/// (<c>etc-overlay/work/work</c>) with mode 000, which stops even its owner from looking in:
/// such folders are opened up first (their owner may). Links are never followed: the install
/// prefix links into the installed Ganeti.
/// </summary>
public static class TreeRemoval
{
    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Gives the owner what it needs to enter and empty <paramref name="dir"/>, if it lacks it.</summary>
    public static void OpenUp(DirectoryInfo dir)
    {
        if ((dir.UnixFileMode & Owner) != Owner)
            dir.UnixFileMode |= Owner;
    }

    /// <summary>Deletes the whole tree at <paramref name="root"/>, if there is one.</summary>
    public static void Delete(string root)
    {
        if (!Directory.Exists(root))
            return;
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(root)]);
        while (pending.TryPop(out var dir))
        {
            OpenUp(dir);
            foreach (var sub in dir.EnumerateDirectories().Where(d => d.LinkTarget is null))
                pending.Push(sub);
        }
        Directory.Delete(root, recursive: true);
    }
}
