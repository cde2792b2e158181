using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VCluster.Engine.Layout;

/// <summary>
/// Creates entries where nothing is yet, straight through libc. A new node tree is about 150
/// entries, and .NET's File and Directory calls add path normalisation, objects and extra
/// stat calls to each: through them a 1000-node tree took 3.5 times what the system calls
/// themselves take (docs/benchmarks.md). Every call fails if the name exists, as the
/// fresh-tree path expects; an error is an <see cref="IOException"/> naming the path.
/// </summary>
internal static partial class FreshEntries
{
    // Linux's open(2) flags (the project runs Ganeti, so Linux only).
    private const int WriteOnly = 0x1, Create = 0x40, Exclusive = 0x80, CloseOnExec = 0x80000;
    private const int CrossDevice = 18, NotPermitted = 1, TooManyLinks = 31, NotSupported = 95, NoSuchCall = 38;

    public static void Directory(string path, UnixFileMode mode)
    {
        if (MakeDirectory(path, (uint)mode) != 0)
            throw Failure("mkdir", path);
        if (FileModes.NeedsChmod(mode))
            System.IO.File.SetUnixFileMode(path, mode);
    }

    public static void Symlink(string path, string target)
    {
        if (MakeSymlink(target, path) != 0)
            throw Failure("symlink", path);
    }

    /// <summary>Writes a new file; returns its modification time (for the generation record).</summary>
    public static DateTime File(string path, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var fd = Open(path, WriteOnly | Create | Exclusive | CloseOnExec, (uint)mode);
        if (fd < 0)
            throw Failure("open", path);
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        RandomAccess.Write(handle, content, 0);
        if (FileModes.NeedsChmod(mode))
            System.IO.File.SetUnixFileMode(handle, mode);
        return System.IO.File.GetLastWriteTimeUtc(handle);
    }

    /// <summary>
    /// A second name for an existing file (link(2)); false where the file system cannot give
    /// one (another device, no hard links, the link limit), so the caller writes a copy.
    /// </summary>
    public static bool TryHardLink(string existing, string path)
    {
        if (MakeHardLink(existing, path) == 0)
            return true;
        return Marshal.GetLastPInvokeError() is CrossDevice or NotPermitted or TooManyLinks or NotSupported or NoSuchCall
            ? false
            : throw Failure("link", path);
    }

    private static IOException Failure(string call, string path) =>
        new($"{call} '{path}' failed: {Marshal.GetLastPInvokeErrorMessage()}");

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeDirectory(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "symlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeSymlink(string target, string path);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeHardLink(string existing, string path);

    // open(2) is variadic in C; declared with its three arguments it is called correctly on
    // x86-64 and arm64 Linux, where variadic arguments travel like fixed ones.
    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);
}
