namespace VCluster.Engine.Model;

/// <summary>
/// How a virtual node resolves names: as the machines Ganeti's QA is written for do, its own
/// /etc/hosts first (localhost and itself, and whatever it adds: QA's rename tests add an entry
/// that must win), then DNS: the cluster's, a dnsmasq in the sandbox answering from the
/// cluster's hosts map (the cluster name, every node, every reserved instance name) and
/// nothing else. Each node's resolv.conf and nsswitch.conf say so (its /etc overlay).
/// </summary>
public static class NameService
{
    /// <summary>A loopback address of the sandbox's network, which every node shares.</summary>
    public const string Address = "127.0.0.53";

    /// <summary>dnsmasq in the foreground without changing user (a user namespace refuses setgroups), answering only from the map.</summary>
    public static IReadOnlyList<string> ServerCommand(string hostsMap) =>
    [
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-hosts", $"--addn-hosts={hostsMap}", "--no-resolv", "--local=/#/",
        $"--listen-address={Address}", "--bind-interfaces", "--cache-size=0",
    ];

    /// <summary>A node's /etc/hosts as a machine's starts: localhost and its own name.</summary>
    public static string NodeHosts(NodePlan node) =>
        $"127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n{node.Address} {node.Name}\n";

    public const string ResolvConf = $"nameserver {Address}\n";

    /// <summary>Debian's defaults; hosts: files first, then DNS, whatever the machine's own file says.</summary>
    public const string NsSwitch = """
        passwd:         files
        group:          files
        shadow:         files
        gshadow:        files
        hosts:          files dns
        networks:       files
        protocols:      db files
        services:       db files
        ethers:         db files
        rpc:            db files

        """;
}
