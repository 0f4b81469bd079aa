namespace OrleansConnect.Runtime.GrainDirectory;

/// <summary>Maps a grain to its single activation. The single-activation guarantee lives here: in a cluster
/// the implementation is a storage-backed table whose register is a conditional insert, so of two silos
/// racing to activate a grain exactly one wins and the other forwards to it.</summary>
public interface IGrainDirectory
{
    /// <summary>Registers <paramref name="address"/> unless the grain already has one; returns the address that won.</summary>
    Task<GrainAddress> RegisterAsync(GrainAddress address, CancellationToken cancellationToken);

    /// <summary>Removes the entry only if it is still <paramref name="address"/> (an activation never removes its successor).</summary>
    Task UnregisterAsync(GrainAddress address, CancellationToken cancellationToken);

    /// <summary>Ends <paramref name="address"/>'s activation of a grain moving to <paramref name="targetSilo"/>: like
    /// <see cref="UnregisterAsync"/>, except that a directory spanning silos keeps the grain reserved for the target
    /// meanwhile, so no other silo activates it on the way.</summary>
    Task HandOffAsync(GrainAddress address, string targetSilo, CancellationToken cancellationToken);

    Task<GrainAddress?> LookupAsync(GrainId grainId, CancellationToken cancellationToken);
}
