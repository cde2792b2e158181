using VCluster.Engine;

namespace VCluster.Tests.Shared;

/// <summary>
/// The file system's clock: a file's modification time comes from the kernel's coarse clock,
/// which moves in ticks of a few milliseconds. A test that tells a rewrite by its time waits
/// until the clock has passed the times it recorded (instead of sleeping a guessed while).
/// </summary>
public static class FileClock
{
    /// <summary>Waits until a file written in <paramref name="folder"/> now gets a time later than every entry's under it.</summary>
    public static void WaitPastEverythingIn(string folder)
    {
        var latest = Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
            .Select(p => File.GetLastWriteTimeUtc(p)).DefaultIfEmpty(DateTime.MinValue).Max();
        var probe = Path.Combine(folder, "..", $".file-clock-{Guid.NewGuid():N}");
        try
        {
            var passed = Wait.Until(() =>
            {
                File.WriteAllText(probe, "");
                return File.GetLastWriteTimeUtc(probe) > latest;
            }, TimeSpan.FromSeconds(10), interval: TimeSpan.FromMilliseconds(1));
            if (!passed)
                throw new InvalidOperationException($"the file system's clock did not pass {latest:O}");
        }
        finally
        {
            File.Delete(probe);
        }
    }
}
