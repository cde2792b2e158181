namespace VCluster.Engine.Layout;

public enum LayoutEntryKind
{
    /// <summary>A directory with a mode, as ensure-dirs would make it.</summary>
    Directory,

    /// <summary>A file whose whole content the generator owns.</summary>
    File,

    /// <summary>A link into the installed Ganeti (or elsewhere in the node's prefix).</summary>
    Symlink,

    /// <summary>
    /// A file created empty when missing and never changed after: the daemons write it. With a
    /// link target, a symbolic link made when missing, which Ganeti switches after (a node's version links).
    /// </summary>
    Seed,
}

/// <summary>One thing the generator puts on disk; <see cref="RelativePath"/> is relative to the cluster root.</summary>
public sealed class LayoutEntry
{
    private LayoutEntry(LayoutEntryKind kind, string relativePath, UnixFileMode mode, byte[]? content, string? target, string? sameAs = null)
    {
        Kind = kind;
        RelativePath = relativePath;
        Mode = mode;
        Content = content;
        LinkTarget = target;
        SameAs = sameAs;
    }

    public LayoutEntryKind Kind { get; }
    public string RelativePath { get; }
    public UnixFileMode Mode { get; }
    public byte[]? Content { get; }
    public string? LinkTarget { get; }

    /// <summary>
    /// For a file: another generated file (relative to the cluster root) with the same content
    /// and mode, written before this one, that this file may be a hard link of.
    /// </summary>
    public string? SameAs { get; }

    public static LayoutEntry Directory(string path, int mode) => new(LayoutEntryKind.Directory, path, (UnixFileMode)mode, null, null);

    public static LayoutEntry File(string path, byte[] content, int mode, string? sameAs = null) =>
        new(LayoutEntryKind.File, path, (UnixFileMode)mode, content, null, sameAs);

    public static LayoutEntry Symlink(string path, string target) => new(LayoutEntryKind.Symlink, path, 0, null, target);

    public static LayoutEntry Seed(string path, int mode) => new(LayoutEntryKind.Seed, path, (UnixFileMode)mode, null, null);

    public static LayoutEntry SeedSymlink(string path, string target) => new(LayoutEntryKind.Seed, path, 0, null, target);

    // Many nodes share one content array (the copied entry points): hash each array once.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], string> ContentHashes = new();
    private string? _fingerprint;

    /// <summary>What the generation record stores to tell a later build whether this entry changed.</summary>
    public string Fingerprint => _fingerprint ??= Kind switch
    {
        LayoutEntryKind.File => $"f {ContentHashes.GetValue(Content!, c => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(c))[..32])} {Convert.ToString((int)Mode, 8)} {Content!.Length}",
        LayoutEntryKind.Symlink => $"l {LinkTarget}",
        LayoutEntryKind.Directory => $"d {Convert.ToString((int)Mode, 8)}",
        _ => LinkTarget is null ? $"s {Convert.ToString((int)Mode, 8)}" : $"s -> {LinkTarget}",
    };

    public override string ToString() => $"{Kind} {RelativePath}";
}
