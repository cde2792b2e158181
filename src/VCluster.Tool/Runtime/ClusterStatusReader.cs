using System.Text.Json.Serialization;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime;

/// <summary>Up (every daemon it needs answers, RAPI included), partial (the sandbox lives but something is missing) or down.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ClusterState>))]
public enum ClusterState
{
    [JsonStringEnumMemberName("up")] Up,
    [JsonStringEnumMemberName("partial")] Partial,
    [JsonStringEnumMemberName("down")] Down,
}

public sealed record NodeStatus(string Name, string Address, bool Master, IReadOnlyList<DaemonStatus> Daemons);

/// <summary>A cluster's state; when partial, <see cref="Problems"/> says what is missing ("up" completes it, "down" stops it).</summary>
public sealed record ClusterStatus(string Name, string Root, ClusterState State, IReadOnlyList<string> Problems, int? SandboxPid,
    IReadOnlyList<NodeStatus> Nodes, RapiStatus Rapi, IReadOnlyList<Faults.NetworkFault> Faults, IReadOnlyDictionary<string, int> ClockSkews);

/// <summary><c>status</c>: every resource probed, and what is missing named.</summary>
public sealed class ClusterStatusReader(ClusterSession session, ClusterResources resources)
{
    public ClusterStatus Read()
    {
        var manifest = session.Manifest;
        var state = session.LoadState();
        var running = resources.Sandbox.Holder(state) is not null;
        var listeners = running ? Sandbox.Listeners(session.Host, state!.Sandbox) : [];
        var roles = session.Roles();
        var nodes = manifest.Nodes
            .Select(node => new NodeStatus(node.Name, node.Address, node.Name == roles.Master, resources.Node(node).Daemons(running ? state : null, listeners, roles)))
            .ToList();
        var rapi = resources.Forwarder.Status(state, running, manifest.Node(roles.Master));
        var problems = new List<string>();
        if (running)
        {
            if (!state!.UpCompleted)
                problems.Add(state.UpFailure is { } failure ? $"the last 'up' failed: {failure}" : "'up' has not finished");
            problems.AddRange(nodes.SelectMany(n => n.Daemons.Where(d => d.State is ResourceState.Dead or ResourceState.Starting)
                .Select(d => $"node {n.Name}: {d.Name} {Json(d.State)}")));
            if (rapi.State != ResourceState.Running)
                problems.Add($"the RAPI forwarder is {Json(rapi.State)}");
        }
        var clusterState = !running ? ClusterState.Down : problems.Count == 0 ? ClusterState.Up : ClusterState.Partial;
        return new ClusterStatus(manifest.Name, manifest.Root, clusterState, problems, running ? state!.SandboxPid : null, nodes, rapi,
            running ? state!.Faults : [], running ? new Faults.ClockSkews(session).Skewed() : new Dictionary<string, int>());
    }

    /// <summary>A state as status prints it ("not-needed").</summary>
    public static string Json(ResourceState state) => System.Text.Json.JsonSerializer.Serialize(state).Trim('"');
}
