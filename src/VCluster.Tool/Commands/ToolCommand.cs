using McMaster.Extensions.CommandLineUtils;
using VCluster.Engine.Diagnostics;

namespace VCluster.Tool.Commands;

/// <summary>What every command shares: the manifest to act on, and errors printed with their code.</summary>
public abstract class ToolCommand
{
    [Option("-m|--manifest <PATH>", Description = "The cluster's vcluster.json (default: ./.vcluster/cluster/vcluster.json).")]
    public string? Manifest { get; set; }

    protected string ManifestPath => Path.GetFullPath(Manifest ?? Path.Combine(".vcluster", "cluster", "vcluster.json"));

    protected int OnExecute(CommandLineApplication app, IConsole console)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(console, cancel.Token);
        }
        catch (VClusterException e)
        {
            foreach (var d in e.Diagnostics)
                console.Error.WriteLine(d.ToString());
            return 1;
        }
        catch (OperationCanceledException)
        {
            console.Error.WriteLine("vcluster: interrupted");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    protected abstract int Run(IConsole console, CancellationToken cancellation);
}
