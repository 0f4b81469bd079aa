namespace OrleansConnect.Runtime.Storage;

/// <summary>Identifies one named state of one grain (the service id is the storage provider's own setting).</summary>
public readonly record struct GrainStateKey(string GrainType, string GrainKey, string StateName)
{
    public override string ToString() => $"state '{StateName}' of grain {GrainType}/{GrainKey}";
}

/// <summary>A stored state: its JSON payload (null once cleared) and its etag (the row version).</summary>
public sealed record GrainStateRecord(string? Payload, string Etag, DateTimeOffset ModifiedUtc);
