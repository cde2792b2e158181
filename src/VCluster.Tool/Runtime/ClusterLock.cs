using VCluster.Engine.Diagnostics;

namespace VCluster.Tool.Runtime;

/// <summary>
/// One command at a time per cluster: a POSIX record lock (fcntl) on .state/run/lock,
/// released by the kernel when the process ends, even when it is killed.
/// </summary>
public sealed class ClusterLock : IDisposable
{
    private readonly FileStream _stream;

    private ClusterLock(FileStream stream) => _stream = stream;

    public static ClusterLock Acquire(string stateDir, string command, TimeSpan wait, CancellationToken cancellation)
    {
        var path = Path.Combine(stateDir, "run", "lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
                try
                {
                    stream.Lock(0, 1);
                }
                catch (IOException)
                {
                    stream.Dispose();
                    throw;
                }
                stream.SetLength(0);
                var owner = System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId} {command}\n");
                stream.Write(owner);
                stream.Flush();
                return new ClusterLock(stream);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Task.Delay(200, cancellation).Wait(cancellation);
            }
            catch (IOException)
            {
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
        }
    }

    public void Dispose() => _stream.Dispose();
}
