using System.Globalization;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Grains.SchemaRegistry;

/// <summary>The registry as this silo serves it: reads from its <see cref="SchemaStore"/>, writes through the writer
/// grain, after which it waits until its own copy has read the write (a client that registers through one silo and
/// reads through another sees its schema).</summary>
public sealed class LocalSchemaRegistry(SchemaStore store, IGrainFactory grains, TopicAdmin topics, short replicationFactor) : ISchemaRegistry
{
    private ISchemaRegistryWriterGrain Writer => grains.GetGrain<ISchemaRegistryWriterGrain>(SchemaRegistryWriterGrain.Key);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // One partition, compacted: what Confluent's registry creates (kafkastore.topic) and insists on.
        await topics.EnsureTopicAsync(store.Topic, 1, replicationFactor, new Dictionary<string, string> { ["cleanup.policy"] = "compact" }, cancellationToken);
        await store.StartAsync(cancellationToken);
    }

    public async Task StopAsync() => await store.DisposeAsync();

    public IReadOnlyList<string> SchemaTypes => SchemaRegistry.SchemaTypes.Supported;

    public IReadOnlyList<string> Subjects(bool includeDeleted, string? prefix) =>
        store.Subjects(includeDeleted).Where(s => string.IsNullOrEmpty(prefix) || s.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    public IReadOnlyList<int> Versions(string subject, bool includeDeleted)
    {
        var versions = store.VersionsOf(subject).Where(v => includeDeleted || !v.Schema.Deleted).Select(v => v.Schema.Version).ToList();
        return versions.Count > 0 ? versions : throw SchemaRegistryException.SubjectNotFound(subject);
    }

    public RegisteredSchema Version(string subject, string version, bool includeDeleted)
    {
        var wanted = ParseVersion(version);
        var versions = store.VersionsOf(subject).Where(v => includeDeleted || !v.Schema.Deleted).ToList();
        if (versions.Count == 0) throw SchemaRegistryException.SubjectNotFound(subject);
        if (wanted is null) return versions[^1].Schema;
        return versions.FirstOrDefault(v => v.Schema.Version == wanted)?.Schema ?? throw SchemaRegistryException.VersionNotFound(wanted.Value);
    }

    public RegisteredSchema ById(int id) =>
        store.WithId(id).FirstOrDefault()?.Schema ?? throw SchemaRegistryException.SchemaNotFound(id);

    public IReadOnlyList<(string Subject, int Version)> VersionsOfId(int id, bool includeDeleted)
    {
        var holders = store.WithId(id);
        if (holders.Count == 0) throw SchemaRegistryException.SchemaNotFound(id);
        return holders.Where(h => includeDeleted || !h.Schema.Deleted).Select(h => (h.Schema.Subject, h.Schema.Version))
            .OrderBy(h => h.Subject, StringComparer.Ordinal).ThenBy(h => h.Version).ToList();
    }

    public RegisteredSchema Lookup(string subject, SchemaSubmission submission, bool normalize, bool includeDeleted)
    {
        var versions = store.VersionsOf(subject).Where(v => includeDeleted || !v.Schema.Deleted).ToList();
        if (versions.Count == 0) throw SchemaRegistryException.SubjectNotFound(subject);
        var type = SchemaRegistry.SchemaTypes.Normalize(submission.SchemaType);
        var canonical = SchemaRegistry.SchemaTypes.Parse(type, submission.Schema, submission.References).ToString();
        // The latest version holding it, as Confluent answers.
        return versions.LastOrDefault(v => v.Schema.SchemaType == type && v.Canonical == canonical && v.Schema.References.SequenceEqual(submission.References))?.Schema
            ?? throw SchemaRegistryException.SchemaNotFound();
    }

    public async Task<RegisteredSchema> RegisterAsync(string subject, SchemaSubmission submission, bool normalize, CancellationToken cancellationToken)
    {
        var written = await Writer.Register(subject, submission, normalize);
        await CaughtUpAsync(written, cancellationToken);
        return store.VersionsOf(subject).First(v => v.Schema.Version == written.Version).Schema;
    }

    public IReadOnlyList<string> CheckCompatibility(string subject, string? version, SchemaSubmission submission, bool normalize)
    {
        var type = SchemaRegistry.SchemaTypes.Normalize(submission.SchemaType);
        var parsed = SchemaRegistry.SchemaTypes.Parse(type, submission.Schema, submission.References);
        var level = store.CompatibilityOf(subject) ?? store.CompatibilityOf(null) ?? SchemaRegistry.SchemaTypes.DefaultLevel;
        var live = store.VersionsOf(subject).Where(v => !v.Schema.Deleted).ToList();
        if (version is null) return SchemaRegistry.SchemaTypes.Check(level, parsed, live);
        var wanted = ParseVersion(version);
        if (wanted is null)
            return live.Count == 0 ? [] : SchemaRegistry.SchemaTypes.Check(level.Replace("_TRANSITIVE", "", StringComparison.Ordinal), parsed, [live[^1]]);
        if (store.VersionsOf(subject).Count == 0) throw SchemaRegistryException.SubjectNotFound(subject);
        var against = live.FirstOrDefault(v => v.Schema.Version == wanted) ?? throw SchemaRegistryException.VersionNotFound(wanted.Value);
        return SchemaRegistry.SchemaTypes.Check(level.Replace("_TRANSITIVE", "", StringComparison.Ordinal), parsed, [against]);
    }

    public async Task<int> DeleteVersionAsync(string subject, string version, bool permanent, CancellationToken cancellationToken)
    {
        var written = await Writer.DeleteVersion(subject, version, permanent);
        await CaughtUpAsync(written, cancellationToken);
        return written.Version;
    }

    public async Task<IReadOnlyList<int>> DeleteSubjectAsync(string subject, bool permanent, CancellationToken cancellationToken)
    {
        var written = await Writer.DeleteSubject(subject, permanent);
        await CaughtUpAsync(written, cancellationToken);
        return written.Versions ?? [];
    }

    public string? Compatibility(string? subject, bool defaultToGlobal) =>
        store.CompatibilityOf(subject) ?? (subject is null || defaultToGlobal ? store.CompatibilityOf(null) ?? SchemaRegistry.SchemaTypes.DefaultLevel : null);

    public async Task SetCompatibilityAsync(string? subject, string level, CancellationToken cancellationToken) =>
        await CaughtUpAsync(await Writer.SetCompatibility(subject, level), cancellationToken);

    public async Task<string> DeleteCompatibilityAsync(string? subject, CancellationToken cancellationToken)
    {
        var written = await Writer.DeleteCompatibility(subject);
        await CaughtUpAsync(written, cancellationToken);
        return written.Previous!;
    }

    public string? Mode(string? subject, bool defaultToGlobal) =>
        store.ModeOf(subject) ?? (subject is null || defaultToGlobal ? store.ModeOf(null) ?? SchemaRegistry.SchemaTypes.DefaultMode : null);

    public async Task SetModeAsync(string? subject, string mode, bool force, CancellationToken cancellationToken) =>
        await CaughtUpAsync(await Writer.SetMode(subject, mode, force), cancellationToken);

    public async Task<string> DeleteModeAsync(string subject, CancellationToken cancellationToken)
    {
        var written = await Writer.DeleteMode(subject);
        await CaughtUpAsync(written, cancellationToken);
        return written.Previous!;
    }

    private Task CaughtUpAsync(SchemaWriteResult written, CancellationToken cancellationToken) =>
        written.Offset < 0 ? store.ReadToEndAsync(cancellationToken) : store.WaitForPositionAsync(written.Offset + 1, cancellationToken);

    /// <summary>null for the latest ("latest" or -1); 42202 for anything but 1..2^31-1.</summary>
    public static int? ParseVersion(string version)
    {
        if (string.Equals(version, "latest", StringComparison.OrdinalIgnoreCase) || version == "-1") return null;
        return int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw SchemaRegistryException.InvalidVersion(version);
    }
}
