using System.Runtime.InteropServices;

namespace VCluster.Engine;

/// <summary>
/// Writes that readers (and an interrupted build) see either before or after, never half:
/// a temporary file beside the target, then rename(2), which replaces atomically.
/// </summary>
public static partial class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] content, UnixFileMode? mode) =>
        Write(path, stream => stream.Write(content), mode);

    /// <summary>Writes a file through <paramref name="write"/>, then puts it in place in one step.</summary>
    public static void Write(string path, Action<Stream> write, UnixFileMode? mode = null)
    {
        using var staged = Stage(path, write, mode);
        staged.Commit();
    }

    /// <summary>
    /// Writes the new content beside <paramref name="path"/> now; <see cref="StagedFile.Commit"/>
    /// puts it in place later (rename keeps its modification time). Disposed uncommitted, the
    /// temporary goes and the old file stays.
    /// </summary>
    public static StagedFile Stage(string path, Action<Stream> write, UnixFileMode? mode)
    {
        var temp = TempName(path);
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = mode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead),
            }))
            {
                write(stream);
            }
            // The umask narrowed the create mode; the declared mode is what the node must see.
            if (mode is not null && Layout.FileModes.NeedsChmod(mode.Value))
                File.SetUnixFileMode(temp, mode.Value);
            return new StagedFile(temp, path, File.GetLastWriteTimeUtc(temp));
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public sealed class StagedFile(string temp, string path, DateTime lastWriteTimeUtc) : IDisposable
    {
        private bool _committed;

        public DateTime LastWriteTimeUtc { get; } = lastWriteTimeUtc;

        public void Commit()
        {
            Rename(temp, path);
            _committed = true;
        }

        public void Dispose()
        {
            if (!_committed)
                TryDelete(temp);
        }
    }

    public static void CreateSymbolicLink(string path, string target)
    {
        // A new link needs no temporary: symlink(2) itself is atomic and fails if the name exists.
        if (TryCreateSymbolicLink(path, target))
            return;
        var temp = TempName(path);
        try
        {
            File.CreateSymbolicLink(temp, target);
            Rename(temp, path);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with a hard link of <paramref name="existing"/>; false
    /// (and nothing changed) where the file system cannot link the two.
    /// </summary>
    public static bool TryHardLink(string existing, string path)
    {
        var temp = TempName(path);
        try
        {
            if (!Layout.FreshEntries.TryHardLink(existing, temp))
                return false;
            Rename(temp, path);
            return true;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static bool TryCreateSymbolicLink(string path, string target)
    {
        if (Path.Exists(path) || new FileInfo(path).LinkTarget is not null)
            return false;
        try
        {
            File.CreateSymbolicLink(path, target);
            return true;
        }
        catch (IOException)
        {
            return false; // created meanwhile: replace it atomically below
        }
    }

    // File.Move refuses a link that points at a directory; rename(2) replaces any entry atomically.
    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int NativeRename(string from, string to);

    private static void Rename(string from, string to)
    {
        if (NativeRename(from, to) != 0)
            throw new IOException($"rename to '{to}' failed: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    private static string TempName(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.vcluster-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}.tmp");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
