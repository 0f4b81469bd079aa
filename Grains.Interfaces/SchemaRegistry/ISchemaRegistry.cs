namespace OrleansConnect.Grains.Interfaces.SchemaRegistry;

/// <summary>The schema registry as a silo serves it: reads answer from this silo's copy of the _schemas topic, writes go
/// through <see cref="ISchemaRegistryWriterGrain"/> and return once this silo has read them back. Failures are
/// <see cref="SchemaRegistryException"/>s carrying Confluent's codes.</summary>
public interface ISchemaRegistry
{
    /// <summary>Reads the topic to its end (creating it when missing) and keeps following it.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops following the topic and closes its Kafka clients (before the broker goes away).</summary>
    Task StopAsync();

    IReadOnlyList<string> SchemaTypes { get; }
    IReadOnlyList<string> Subjects(bool includeDeleted, string? prefix);
    IReadOnlyList<int> Versions(string subject, bool includeDeleted);
    /// <summary>version: "latest", "-1" or 1..2^31-1.</summary>
    RegisteredSchema Version(string subject, string version, bool includeDeleted);
    /// <summary>The schema of an id, also when only soft-deleted versions carry it.</summary>
    RegisteredSchema ById(int id);
    IReadOnlyList<(string Subject, int Version)> VersionsOfId(int id, bool includeDeleted);
    RegisteredSchema Lookup(string subject, SchemaSubmission submission, bool normalize, bool includeDeleted);
    Task<RegisteredSchema> RegisterAsync(string subject, SchemaSubmission submission, bool normalize, CancellationToken cancellationToken);
    /// <summary>version null: against what the subject's compatibility level asks for; messages empty means compatible.</summary>
    IReadOnlyList<string> CheckCompatibility(string subject, string? version, SchemaSubmission submission, bool normalize);
    Task<int> DeleteVersionAsync(string subject, string version, bool permanent, CancellationToken cancellationToken);
    Task<IReadOnlyList<int>> DeleteSubjectAsync(string subject, bool permanent, CancellationToken cancellationToken);
    /// <summary>subject null: global. Null when the subject has no level of its own and defaultToGlobal is false.</summary>
    string? Compatibility(string? subject, bool defaultToGlobal);
    Task SetCompatibilityAsync(string? subject, string level, CancellationToken cancellationToken);
    /// <summary>The level that was set (the global default when it was not).</summary>
    Task<string> DeleteCompatibilityAsync(string? subject, CancellationToken cancellationToken);
    string? Mode(string? subject, bool defaultToGlobal);
    Task SetModeAsync(string? subject, string mode, bool force, CancellationToken cancellationToken);
    Task<string> DeleteModeAsync(string subject, CancellationToken cancellationToken);
}
