using System.Text.Json.Nodes;
using VCluster.Engine.Ganeti;

namespace VCluster.Engine.Model;

/// <summary>Where a daemon runs: on every node, on master candidates, or on the master only.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<DaemonRole>))]
public enum DaemonRole
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("allNodes")] AllNodes,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("masterCandidates")] MasterCandidates,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("master")] Master,
}

/// <summary>One Ganeti daemon of a node, with the arguments that make it a virtual node's daemon.</summary>
public sealed record DaemonPlan(
    string Name,
    string Executable,
    IReadOnlyList<string> Arguments,
    DaemonRole Role,
    string? Protocol,
    int Port,
    string? Socket,
    string LogFile,
    string PidFile,
    string ArgumentsVariable);

/// <summary>
/// The daemons of a node in Ganeti's start order (daemon-util's list). Ports, log and pid
/// files come from the installed constants; only the arguments are ours: every daemon that
/// listens binds the node's own address, since all nodes share one network namespace.
/// </summary>
public static class DaemonCatalog
{
    public static IReadOnlyList<DaemonPlan> For(NodePlan node, ClusterPlan cluster, GanetiInstallation ganeti)
    {
        var constants = ganeti.Constants;
        var ip = node.Address.ToString();
        var sbin = Path.Combine(node.Prefix, "sbin");
        var runDir = node.Root + ganeti.Paths.RunDir;
        var daemons = new List<DaemonPlan>
        {
            // --no-mlock: an unprivileged noded cannot lock its memory.
            Make("ganeti-noded", DaemonRole.AllNodes, ["--no-mlock", "-b", ip], "NODED_ARGS"),
            Make("ganeti-wconfd", DaemonRole.Master, ["--no-user-checks"], "WCONFD_ARGS"),
            Make("ganeti-rapi", DaemonRole.Master, ["-b", ip], "RAPI_ARGS"),
            Make("ganeti-luxid", DaemonRole.Master, ["--no-user-checks"], "LUXID_ARGS"),
            Make("ganeti-confd", DaemonRole.MasterCandidates, ["-b", ip], "CONFD_ARGS"),
        };
        if (constants["ENABLE_MOND"]?.GetValue<bool>() == true && cluster.Monitoring)
            daemons.Add(Make("ganeti-mond", DaemonRole.AllNodes, ["-b", ip], "MOND_ARGS"));
        if (cluster.EnableMetad)
            daemons.Add(Make("ganeti-metad", DaemonRole.AllNodes, ["-b", ip], "METAD_ARGS"));
        return daemons;

        DaemonPlan Make(string name, DaemonRole role, string[] args, string variable)
        {
            string? protocol = null;
            var port = 0;
            if (constants["DAEMONS_PORTS"]?[name] is JsonArray portSpec)
            {
                protocol = portSpec[0]!.GetValue<string>();
                port = portSpec[1]!.GetValue<int>();
            }
            string? socket = name switch
            {
                "ganeti-luxid" => node.Root + ganeti.Paths.QuerySocket,
                "ganeti-wconfd" => node.Root + ganeti.Paths.SocketDir + "/ganeti-wconfd",
                _ => null,
            };
            var logBase = constants["DAEMONS_LOGBASE"]?[name]?.GetValue<string>() ?? name.Replace("ganeti-", "");
            return new DaemonPlan(name, Path.Combine(sbin, name), args, role, protocol, port, socket,
                node.Root + ganeti.Paths.LogDir + "/" + logBase + ".log",
                runDir + "/" + name + ".pid", variable);
        }
    }
}
