using System.Diagnostics;

namespace VCluster.Engine;

/// <summary>Waiting for a condition: every wait of the runtime goes through here, with its timeout.</summary>
public static class Wait
{
    /// <summary>
    /// Checks <paramref name="condition"/> until it holds (true) or <paramref name="timeout"/>
    /// has passed (false, after one last check), every <paramref name="interval"/> (default 50 ms).
    /// </summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout, CancellationToken cancellation = default, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed >= timeout)
                return condition();
            Task.Delay(interval ?? TimeSpan.FromMilliseconds(50), cancellation).Wait(cancellation);
        }
        return true;
    }
}
