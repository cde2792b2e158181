namespace VCluster.Engine.Layout;

/// <summary>The process's umask, probed once: it tells when a create call alone gives a generated entry its mode.</summary>
internal static class FileModes
{
    // Bits the process umask clears from a create mode; when a mode has none of them, the
    // create call alone gives the right mode and the chmod can be skipped.
    internal static readonly UnixFileMode UmaskBits = ReadUmask();

    internal static UnixFileMode ReadUmask()
    {
        var probe = Path.Combine(Path.GetTempPath(), $".vcluster-umask-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0b111_111_111 }))
            {
            }
            return (UnixFileMode)0b111_111_111 & ~File.GetUnixFileMode(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (UnixFileMode)0b111_111_111; // unknown: always chmod
        }
        finally
        {
            try
            {
                File.Delete(probe);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static bool NeedsChmod(UnixFileMode mode) => (mode & UmaskBits) != 0 || (int)mode > 0b111_111_111;
}
