using Orleans;

namespace OrleansConnect.Grains.Interfaces.Errors;

/// <summary>500: the silo's storage (grain state or reminders) failed, after the silo retried what looked transient. The
/// message names the storage, the operation and the server's reason, e.g. "PostgreSQL storage: could not write the state
/// of connector 'x' (57P01: terminating connection due to administrator command; gave up after 7 attempts in 5.1 s)".
/// It never carries a password or the connection string, and no provider exception rides along as an inner exception
/// (the silo logs that one): it crosses grain calls and reaches the REST client as Connect's 500 error.</summary>
[GenerateSerializer, Alias("oc.StorageFailedException")]
public sealed class StorageFailedException(string message, string storage, string operation, string? errorCode, bool transient)
    : ConnectRestException(500, message)
{
    /// <summary>"PostgreSQL" or "SQLite".</summary>
    [Id(0)]
    public string Storage { get; private set; } = storage;

    /// <summary>What was attempted, e.g. "write the state of connector 'x'".</summary>
    [Id(1)]
    public string Operation { get; private set; } = operation;

    /// <summary>The SQLSTATE (PostgreSQL) or result code (SQLite) of the last failure, when the server gave one.</summary>
    [Id(2)]
    public string? ErrorCode { get; private set; } = errorCode;

    /// <summary>True when the last failure was of a kind the silo retries (so the storage was unreachable or busy for
    /// the whole retry budget); false for an error a retry cannot fix.</summary>
    [Id(3)]
    public bool Transient { get; private set; } = transient;
}
