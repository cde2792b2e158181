using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime;

/// <summary><c>down</c> (every process stops, the cluster's state stays) and <c>destroy</c> (the run-time state goes too).</summary>
public sealed class ClusterTeardown(ClusterSession session, ClusterResources resources)
{
    public int Down()
    {
        var manifest = session.Manifest;
        var state = session.LoadState();
        if (state is not null)
            resources.Forwarder.Stop(state); // first: no new connections into a cluster going down
        if (state is null || !resources.Sandbox.AnythingLeft(state))
        {
            RuntimeState.Delete(manifest.Root);
            session.Progress.WriteLine($"cluster '{manifest.Name}' is already down");
            return 0;
        }
        // The other nodes are switched off (SIGKILL): nothing of theirs needs a clean shutdown,
        // since Ganeti replaces its files atomically, and a Python daemon's exit costs a tenth
        // of a second of CPU, a minute for hundreds of nodes. The master's daemons (wconfd,
        // luxid) then get SIGTERM and a moment to shut down cleanly. Whatever is left in the
        // sandbox goes with it.
        var master = session.Roles().Master;
        Terminate(state, manifest.Nodes.Where(n => n.Name != master), LinuxProcess.SigKill);
        Terminate(state, [manifest.Node(master)], LinuxProcess.SigTerm);
        resources.Sandbox.Stop(state);
        RuntimeState.Delete(manifest.Root);
        session.Step($"cluster '{manifest.Name}' is down; its state stays in {manifest.Root}");
        return 0;
    }

    /// <summary><paramref name="signal"/> to the daemons of <paramref name="nodes"/>, SIGKILL to those alive after 15 s.</summary>
    private void Terminate(RuntimeState state, IEnumerable<Engine.Manifest.ManifestNode> nodes, int signal)
    {
        var daemons = nodes.SelectMany(n => n.Daemons)
            .Select(d => session.Host.OfDaemon(d, state.SandboxUserNamespace, state.SandboxProc)).OfType<LinuxProcess>().ToList();
        session.Host.SignalAll(daemons, signal, TimeSpan.FromSeconds(15));
    }

    public int Destroy()
    {
        var manifest = session.Manifest;
        Down();
        // Run-time state is everything under the root that generation did not write.
        // Without the record nothing tells generated files from run-time state: touch nothing.
        if (!File.Exists(ClusterRootLayout.On(manifest.Root, ClusterRootLayout.GenerationRecord)))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ManifestMissing,
                $"cluster '{manifest.Name}' has no generation record ({ClusterRootLayout.GenerationRecord}); generate it again before destroying"));
        var generated = LayoutWriter.GeneratedPaths(manifest.Root).ToHashSet(StringComparer.Ordinal);
        var removed = RemoveRunTimeState(manifest.Root, manifest.Root, generated);
        session.Progress.WriteLine($"cluster '{manifest.Name}' destroyed: {removed} run-time files removed; the next 'up' initialises a new cluster");
        return 0;
    }

    /// <summary>
    /// Deletes every file and link under <paramref name="dir"/> that generation did not write,
    /// and the folders that end up empty, but for what <see cref="ClusterRootLayout.KeptByDestroy"/>
    /// names. Links are removed or kept, never followed: the install prefix links into the installed Ganeti.
    /// </summary>
    private static int RemoveRunTimeState(string root, string dir, HashSet<string> generated)
    {
        var removed = 0;
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            var relative = Path.GetRelativePath(root, entry.FullName);
            if (ClusterRootLayout.KeptByDestroy.Contains(relative))
                continue;
            if (entry.LinkTarget is null && entry is DirectoryInfo sub)
            {
                TreeRemoval.OpenUp(sub);
                removed += RemoveRunTimeState(root, sub.FullName, generated);
                if (!generated.Contains(relative) && !sub.EnumerateFileSystemInfos().Any())
                    sub.Delete();
            }
            else if (!generated.Contains(relative))
            {
                entry.Delete();
                removed++;
            }
        }
        return removed;
    }
}
