namespace VCluster.Tool.Runtime.Phases;

/// <summary>
/// One named step of <c>up</c> (<see cref="UpSequence"/>). A phase finds out what is already
/// done and does only the rest, so that an <c>up</c> after a failed or interrupted one
/// continues where that one stopped.
/// </summary>
public interface IUpPhase
{
    /// <summary>What the phase is called in docs and progress ("sandbox", "join").</summary>
    string Name { get; }

    void Run(UpContext up, CancellationToken cancellation);
}
