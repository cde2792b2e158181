namespace VCluster.Engine.Model;

/// <summary>
/// The program a node's cmd enters the node with (Native/enter-node.c): its own mount
/// namespace, with the node's folders over the machine's, in one process instead of eight
/// (unshare and a mount per folder), since every node command and every ssh between nodes
/// pays for it. Built beside the engine and copied into each cluster as <see cref="NodePreload"/> is.
/// </summary>
public static class NodeEntry
{
    public const string ProgramName = "vcluster-enter-node";

    /// <summary>The program as built beside the engine.</summary>
    public static byte[] ReadProgram() => NativeParts.Read(ProgramName);
}
