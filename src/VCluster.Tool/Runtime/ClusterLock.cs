using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;

namespace VCluster.Tool.Runtime;

/// <summary>
/// One command at a time per cluster: a POSIX record lock (fcntl) on .state/run/lock,
/// released by the kernel when the process ends, even when it is killed.
/// </summary>
public sealed class ClusterLock : IDisposable
{
    private readonly FileStream _stream;

    private ClusterLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock of the cluster whose root is <paramref name="root"/>, waiting up to <paramref name="wait"/> for another command to end.</summary>
    public static ClusterLock Acquire(string root, string command, TimeSpan wait, CancellationToken cancellation)
    {
        var path = ClusterRootLayout.On(root, ClusterRootLayout.Lock);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ClusterLock? taken = null;
        if (Wait.Until(() => (taken = TryTake(path, command)) is not null, wait, cancellation, TimeSpan.FromMilliseconds(200)))
            return taken!;
        string holder;
        try
        {
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            holder = new StreamReader(reader).ReadToEnd().Trim();
        }
        catch (IOException)
        {
            holder = "another process";
        }
        throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ClusterBusy,
            $"another vcluster command is working on this cluster (pid and command: {holder}); wait for it, or pass --wait SECONDS"));
    }

    /// <summary>The lock, with this process's pid and command in the file, or null if another process holds it.</summary>
    private static ClusterLock? TryTake(string path, string command)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            stream.Lock(0, 1);
        }
        catch (IOException)
        {
            stream.Dispose();
            return null;
        }
        stream.SetLength(0);
        stream.Write(System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId} {command}\n"));
        stream.Flush();
        return new ClusterLock(stream);
    }

    public void Dispose() => _stream.Dispose();
}
