using VCluster.Engine.Diagnostics;
using VCluster.Tool.Runtime.Instances;
using VCluster.Tool.Runtime.Joins;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>
/// How nodes join and declared instances are created (the options of <c>up</c>); without
/// <paramref name="Initialise"/>, the sandbox and its services only, for Ganeti's QA to
/// initialise the cluster itself (<c>qa --own-cluster</c>).
/// </summary>
public sealed record UpOptions(string Join = NodeJoins.Default, string Populate = InstancePopulations.Default, bool Initialise = true);

/// <summary>
/// <c>up</c>: its phases in order, each recording what it started. A failure leaves the state
/// recorded (status shows the cluster as partial, and why) and one that the next up
/// completes or down stops.
/// </summary>
public sealed class UpSequence(ClusterSession session, ClusterResources resources, UpOptions options)
{
    public static IReadOnlyList<IUpPhase> Phases(UpOptions options) => !options.Initialise ? Uninitialised :
    [
        new SandboxPhase(),
        new ServicesPhase(),
        new InitOrResumePhase(),
        new JoinPhase(NodeJoins.Named(options.Join), options.Join),
        new DaemonsPhase(),
        new ReadinessPhase(),
        new DeclaredInstancesPhase(InstancePopulations.Named(options.Populate)),
        new ForwarderPhase(),
        new WatcherPhase(),
    ];

    /// <summary>Whoever initialises the cluster starts Ganeti's daemons (gnt-cluster init, gnt-node add), as on machines.</summary>
    private static IReadOnlyList<IUpPhase> Uninitialised => [new SandboxPhase(), new ServicesPhase(), new UninitialisedPhase(), new WatcherPhase()];

    /// <summary>How long this up took to create declared instances, if it created any.</summary>
    public TimeSpan? PopulateTime { get; private set; }

    public int Run(CancellationToken cancellation)
    {
        var phases = Phases(options);
        var up = new UpContext(session, resources, session.LoadState());
        if (options.Initialise && IsUp(up.State))
        {
            session.Progress.WriteLine($"cluster '{session.Manifest.Name}' is already up: {session.Manifest.Nodes.Count} nodes, nothing to do");
            session.Progress.WriteLine(RapiLine(up.Running));
            return 0;
        }
        try
        {
            foreach (var phase in phases)
            {
                cancellation.ThrowIfCancellationRequested();
                phase.Run(up, cancellation);
                up.Running.Save(session.Manifest.Root); // what was started is tracked, whatever comes next
            }
        }
        catch (Exception e) when (up.State is { } state && e is VClusterException or OperationCanceledException)
        {
            state.UpCompleted = false;
            // The first line of each error: status lists it; the whole of it was printed here.
            state.UpFailure = e is VClusterException v ? string.Join("; ", v.Diagnostics.Select(d => d.Message.Split('\n')[0])) : "interrupted";
            state.Save(session.Manifest.Root);
            session.Step($"cluster '{session.Manifest.Name}' is partly up: 'dotnet vcluster up' completes it, 'dotnet vcluster down' stops it");
            throw;
        }
        PopulateTime = up.PopulateTime;
        up.Running.UpCompleted = true;
        up.Running.Save(session.Manifest.Root);
        if (!options.Initialise)
        {
            session.Step($"cluster '{session.Manifest.Name}': sandbox and services up, Ganeti not initialised ({session.Manifest.Nodes.Count} nodes, master-to-be {up.Master.Name})");
            return 0;
        }
        var roles = session.Roles();
        session.Step($"cluster '{session.Manifest.Name}' is up: {session.Manifest.Nodes.Count} nodes, master {roles.Master} ({session.Manifest.ClusterAddress})");
        session.Progress.WriteLine(RapiLine(up.Running));
        return 0;
    }

    /// <summary>
    /// The last up finished, every node is a member, every daemon answers, RAPI relays to the
    /// master, the cluster's DNS knows every generated name, and every declared instance exists.
    /// </summary>
    private bool IsUp(RuntimeState? state)
    {
        if (state is null || !state.UpCompleted || resources.Sandbox.Holder(state) is null)
            return false;
        var roles = session.Roles();
        return session.Manifest.Nodes.All(n => roles.Members.Contains(n.Name))
            && session.Nodes(state).NotReady().Count == 0 && resources.Forwarder.IsReady(state) && resources.Services.NamesCurrent(state)
            && DeclaredInstancesPhase.Missing(session.Manifest, session.Manifest.Node(roles.Master)).Count == 0;
    }

    private string RapiLine(RuntimeState state) =>
        $"RAPI: {RapiAccess.Url(state.Rapi!.Port)} (user {RapiAccess.User}, password in {resources.Forwarder.CredentialsFile})";
}
