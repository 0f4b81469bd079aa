namespace OrleansConnect.Runtime;

/// <summary>A call could not be delivered to the silo hosting the grain: it did not answer, refused the
/// connection, is stopping or rejoining, or this silo is not (or no longer) a live member of the cluster.
/// The grain may be reachable again once membership has caught up; retrying later is safe for idempotent calls.</summary>
public sealed class SiloUnavailableException : Exception
{
    public SiloUnavailableException(string message) : base(message) { }

    public SiloUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A grain on another silo threw an exception whose type this silo cannot rebuild (unknown here, or without
/// a usable public constructor); it carries the remote type name and message.</summary>
public sealed class RemoteGrainException(string remoteType, string message) : Exception(message)
{
    /// <summary>Full name of the exception type thrown on the remote silo.</summary>
    public string RemoteType { get; } = remoteType;

    public override string ToString() => $"{RemoteType} (on a remote silo): {Message}";
}
