namespace VCluster.Tool.Runtime.Phases;

/// <summary>The cluster's cron (ganeti-watcher on every node), last: it restarts daemons, so it waits until all run.</summary>
public sealed class WatcherPhase : IUpPhase
{
    public string Name => "watcher";

    public void Run(UpContext up, CancellationToken cancellation) => up.Resources.Services.EnsureWatcher(up.Running);
}
