using System.Text.Json.Serialization;

namespace VCluster.Tool.Runtime.Resources;

/// <summary>What a resource (a daemon, a service, the sandbox, the forwarder) is right now, as status shows it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResourceState>))]
public enum ResourceState
{
    /// <summary>It runs and answers.</summary>
    [JsonStringEnumMemberName("running")] Running,

    /// <summary>It runs but does not answer yet.</summary>
    [JsonStringEnumMemberName("starting")] Starting,

    /// <summary>It should run (the sandbox lives) but does not.</summary>
    [JsonStringEnumMemberName("dead")] Dead,

    /// <summary>The node's current role does not call for it.</summary>
    [JsonStringEnumMemberName("not-needed")] NotNeeded,

    /// <summary>The cluster is down: nothing should run.</summary>
    [JsonStringEnumMemberName("stopped")] Stopped,
}

/// <summary>
/// Something <c>up</c> starts and the other commands find again: the sandbox, its services,
/// each node's daemons, the RAPI forwarder. Every resource records what it started in the
/// run-time state, so that <c>up</c> (Ensure), <c>down</c> and <c>stop-node</c> (Stop) and
/// <c>status</c> (Probe) work on the same processes.
/// </summary>
public interface IClusterResource
{
    /// <summary>What it is called in progress lines and errors.</summary>
    string Name { get; }

    /// <summary>What it is now; <paramref name="state"/> is null when the cluster has none (never started, or down).</summary>
    ResourceState Probe(RuntimeState? state);

    /// <summary>Starts it unless it runs, and records it in <paramref name="state"/>: running it twice changes nothing.</summary>
    void Ensure(RuntimeState state, CancellationToken cancellation);

    /// <summary>Stops it and what it started; nothing happens if it does not run.</summary>
    void Stop(RuntimeState state);
}
