using System.Globalization;
using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;
using VCluster.Engine.Model;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime.Faults;

/// <summary>
/// Delays between nodes (<c>fault delay</c>) without netem, which this kind of kernel lacks:
/// the fault table marks each packet of a delayed pair with its fault's mark
/// (<see cref="Mark"/>), one iptables-nft rule queues marked packets to NFQUEUE
/// <see cref="Queue"/> (nft's own queue statement is not compiled into such kernels; the rule's
/// <c>--queue-bypass</c> lets packets through whenever no program holds the queue), and
/// Native/packet-delay.c, a service of the sandbox, holds each for its fault's delay. The
/// service and the rule exist only while a delay is in force; a change of the delays restarts
/// the service, which lets every packet it holds go before it ends.
/// </summary>
public sealed class PacketDelays(ClusterSession session)
{
    public const string ServiceName = "packet-delay";
    public const int Queue = 1;
    public const string ProgramName = "vcluster-packet-delay";
    private const uint MarkBase = 0x7c100000;
    private const string MarkMask = "0x7c100000/0xffff0000";

    /// <summary>How long the program may take to hold its queue: it binds at once.</summary>
    public static readonly TimeSpan BindTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The mark of the fault at <paramref name="index"/> among those in force.</summary>
    public static string Mark(int index) => $"0x{MarkBase | (uint)(index + 1):x8}";

    /// <summary>The program's arguments for <paramref name="faults"/>: the queue, then MARK=DELAY_MS:JITTER_MS per delay.</summary>
    public static IReadOnlyList<string> Arguments(IReadOnlyList<NetworkFault> faults) =>
        faults.Select((fault, index) => (fault, index)).Where(f => f.fault.Kind == NetworkFault.Delay)
            .Select(f => $"{Mark(f.index)}={f.fault.Amount}:{f.fault.Jitter}")
            .Prepend(Queue.ToString(CultureInfo.InvariantCulture)).ToList();

    /// <summary>The iptables-nft rule that queues marked packets (<paramref name="operation"/>: -A, -C or -D).</summary>
    public static IReadOnlyList<string> QueueRule(string operation) =>
        ["iptables-nft", "-t", "mangle", operation, "OUTPUT", "-m", "mark", "--mark", MarkMask,
         "-j", "NFQUEUE", "--queue-num", Queue.ToString(CultureInfo.InvariantCulture), "--queue-bypass"];

    private string HostProgram => ClusterRootLayout.On(session.Manifest.Root, ClusterRootLayout.PacketDelayProgram);

    /// <summary>The service for <paramref name="arguments"/>: the program from the cluster's run folder, which the sandbox sees.</summary>
    private SandboxService Service(IReadOnlyList<string> arguments) =>
        new(session.Manifest, session.Host, ServiceName, "packet delay (vcluster-packet-delay)",
            [ClusterRootLayout.On(session.Manifest.SandboxRoot, ClusterRootLayout.PacketDelayProgram), .. arguments], null);

    /// <summary>
    /// Makes the sandbox hold packets as <paramref name="faults"/>' delays say (after the fault
    /// table, which marks them, was set): nothing runs when none is a delay.
    /// </summary>
    public void Apply(RuntimeState state, IReadOnlyList<NetworkFault> faults)
    {
        var arguments = Arguments(faults);
        var delayed = arguments.Count > 1;
        var service = Service(arguments);
        var wanted = string.Join(' ', arguments);
        if (delayed ? state.PacketDelays == wanted && service.Runs(state) : state.PacketDelays is null)
            return;
        Stop(state, service);
        if (!delayed)
        {
            // Without a program nothing is queued anyway (--queue-bypass); the rule goes with the delays.
            session.Host.Run(NetworkFaults.InNetwork(state, QueueRule("-D")), new RunOptions(TimeSpan.FromSeconds(30)));
            return;
        }
        if (!session.Host.Run(NetworkFaults.InNetwork(state, QueueRule("-C")), new RunOptions(TimeSpan.FromSeconds(30))).Succeeded)
        {
            var added = session.Host.Run(NetworkFaults.InNetwork(state, QueueRule("-A")), new RunOptions(TimeSpan.FromSeconds(30)));
            if (!added.Succeeded)
                throw Failed($"iptables-nft could not queue the delayed packets: {added.Tail(3)} (iptables-nft is in Debian's iptables package)");
        }
        InstallProgram();
        File.Delete(service.LogFile); // its "bound" line is this start's
        service.Start(state);
        state.PacketDelays = wanted;
        var bound = Wait.Until(() => !service.Runs(state) || Bound(service), BindTimeout);
        if (!service.Runs(state) || !bound)
            throw SandboxServices.Failed($"the sandbox's {service.Description}", $"did not hold NFQUEUE {Queue}", service.LogFile);
    }

    /// <summary>Ends the program (SIGTERM: it lets the packets it holds go), then whatever is left of it.</summary>
    private static void Stop(RuntimeState state, SandboxService service)
    {
        if (service.Runs(state))
        {
            service.SignalService(state, LinuxProcess.SigTerm);
            Wait.Until(() => !service.Runs(state), TimeSpan.FromSeconds(5));
        }
        service.Stop(state);
        state.PacketDelays = null;
    }

    /// <summary>The program of this tool's build, copied where the sandbox sees it unless it is there already.</summary>
    private void InstallProgram()
    {
        var program = NativeParts.Read(ProgramName);
        if (File.Exists(HostProgram) && File.ReadAllBytes(HostProgram).AsSpan().SequenceEqual(program))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(HostProgram)!);
        AtomicFile.WriteAllBytes(HostProgram, program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static bool Bound(SandboxService service) =>
        File.Exists(service.LogFile) && File.ReadLines(service.LogFile).Any(l => l.Contains($"queue {Queue} bound", StringComparison.Ordinal));

    private static VClusterException Failed(string message) => new(new VClusterDiagnostic(ErrorCodes.FaultFailed, message));
}
