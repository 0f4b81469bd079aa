using Microsoft.Extensions.Logging;
using Orleans.Placement;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;

namespace OrleansConnect.Grains.SchemaRegistry;

/// <summary>The single writer of the _schemas topic (Confluent's registry elects a leader for the same reason): calls run
/// one at a time, each after this silo's copy has read the topic to its end, so ids and versions are allocated from
/// everything written before. Placed on the calling silo at first, which serves the registry and so holds a
/// <see cref="SchemaStore"/>.</summary>
[PreferLocalPlacement]
public sealed partial class SchemaRegistryWriterGrain(SchemaStore store, ILogger<SchemaRegistryWriterGrain> logger) : Grain, ISchemaRegistryWriterGrain
{
    public const string Key = "default";

    public async Task<SchemaWriteResult> Register(string subject, SchemaSubmission submission, bool normalize)
    {
        await store.ReadToEndAsync(CancellationToken.None);
        CheckSubject(subject);
        var mode = EffectiveMode(subject);
        if (mode is "READONLY" or "READONLY_OVERRIDE") throw SchemaRegistryException.NotPermitted($"Subject {subject} is in read-only mode");
        var importing = mode == "IMPORT";
        if (!importing && (submission.Id is > 0 || submission.Version is > 0))
            throw SchemaRegistryException.NotPermitted($"Subject {subject} is not in import mode: an id or a version cannot be given");
        var type = SchemaTypes.Normalize(submission.SchemaType);
        var parsed = SchemaTypes.Parse(type, submission.Schema, submission.References);
        var canonical = parsed.ToString();

        var versions = store.VersionsOf(subject);
        var live = versions.Where(v => !v.Schema.Deleted).ToList();
        if (live.FirstOrDefault(v => v.Schema.SchemaType == type && v.Canonical == canonical && v.Schema.References.SequenceEqual(submission.References)) is { } same
            && (!importing || submission.Id is null || submission.Id == same.Schema.Id))
            return new SchemaWriteResult(-1, same.Schema.Id, same.Schema.Version);

        if (!importing)
        {
            var level = store.CompatibilityOf(subject) ?? store.CompatibilityOf(null) ?? SchemaTypes.DefaultLevel;
            var messages = SchemaTypes.Check(level, parsed, live);
            if (messages.Count > 0) throw SchemaRegistryException.Incompatible(subject, "[" + string.Join(", ", messages) + "]");
        }

        int id;
        if (importing && submission.Id is > 0)
        {
            id = submission.Id.Value;
            if (store.WithId(id).FirstOrDefault() is { } holder && holder.Canonical != canonical)
                throw new SchemaRegistryException(422, 42207, $"Overwrite new schema with id {id} is not permitted: the id holds another schema.");
        }
        else
        {
            id = store.FindSame(type, canonical, submission.References)?.Schema.Id ?? store.MaxId + 1;
        }
        var version = importing && submission.Version is > 0 ? submission.Version.Value : (versions.Count == 0 ? 1 : versions[^1].Schema.Version + 1);
        if (importing && versions.Any(v => v.Schema.Version == version))
            throw SchemaRegistryException.NotPermitted($"Subject {subject} already has a version {version}");

        var registered = new RegisteredSchema(subject, version, id, type, canonical, submission.References, false);
        var offset = await WriteAsync(SchemaRecords.SchemaKey(subject, version), SchemaRecords.SchemaValue(registered));
        Registered(logger, subject, version, id, type);
        return new SchemaWriteResult(offset, id, version);
    }

    public async Task<SchemaWriteResult> DeleteVersion(string subject, string version, bool permanent)
    {
        await store.ReadToEndAsync(CancellationToken.None);
        CheckWritable(subject);
        var versions = store.VersionsOf(subject);
        if (versions.Count == 0) throw SchemaRegistryException.SubjectNotFound(subject);
        var wanted = LocalSchemaRegistry.ParseVersion(version);
        var entry = wanted is null
            ? versions.LastOrDefault(v => !v.Schema.Deleted) ?? throw SchemaRegistryException.SubjectNotFound(subject)
            : versions.FirstOrDefault(v => v.Schema.Version == wanted) ?? throw SchemaRegistryException.VersionNotFound(wanted.Value);
        long offset;
        if (permanent)
        {
            if (!entry.Schema.Deleted) throw SchemaRegistryException.VersionNotSoftDeleted(subject, entry.Schema.Version);
            offset = await WriteAsync(SchemaRecords.SchemaKey(subject, entry.Schema.Version), null);
        }
        else
        {
            if (entry.Schema.Deleted) throw SchemaRegistryException.VersionSoftDeleted(subject, entry.Schema.Version);
            offset = await WriteAsync(SchemaRecords.SchemaKey(subject, entry.Schema.Version), SchemaRecords.SchemaValue(entry.Schema with { Deleted = true }));
        }
        Deleted(logger, subject, entry.Schema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), permanent);
        return new SchemaWriteResult(offset, entry.Schema.Id, entry.Schema.Version);
    }

    public async Task<SchemaWriteResult> DeleteSubject(string subject, bool permanent)
    {
        await store.ReadToEndAsync(CancellationToken.None);
        CheckWritable(subject);
        var versions = store.VersionsOf(subject);
        if (versions.Count == 0) throw SchemaRegistryException.SubjectNotFound(subject);
        var live = versions.Where(v => !v.Schema.Deleted).Select(v => v.Schema.Version).ToList();
        long offset;
        List<int> deleted;
        if (permanent)
        {
            if (live.Count > 0) throw SchemaRegistryException.SubjectNotSoftDeleted(subject);
            offset = -1;
            foreach (var v in versions) offset = await WriteAsync(SchemaRecords.SchemaKey(subject, v.Schema.Version), null);
            deleted = versions.Select(v => v.Schema.Version).ToList();
        }
        else
        {
            if (live.Count == 0) throw SchemaRegistryException.SubjectSoftDeleted(subject);
            offset = await WriteAsync(SchemaRecords.SubjectKey(SchemaRecords.DeleteSubject, subject),
                SchemaRecords.DeleteSubjectValue(subject, versions[^1].Schema.Version));
            deleted = live;
        }
        // As Confluent's registry: a deleted subject takes its own compatibility level and mode with it.
        if (store.CompatibilityOf(subject) is not null) offset = await WriteAsync(SchemaRecords.SubjectKey(SchemaRecords.Config, subject), null);
        if (store.ModeOf(subject) is not null) offset = await WriteAsync(SchemaRecords.SubjectKey(SchemaRecords.Mode, subject), null);
        Deleted(logger, subject, "all", permanent);
        return new SchemaWriteResult(offset, Versions: deleted);
    }

    public async Task<SchemaWriteResult> SetCompatibility(string? subject, string level)
    {
        await store.ReadToEndAsync(CancellationToken.None);
        level = SchemaTypes.Level(level);
        if (subject is not null) CheckSubject(subject);
        var offset = await WriteAsync(SchemaRecords.SubjectKey(SchemaRecords.Config, subject), SchemaRecords.ConfigValue(subject, level));
        return new SchemaWriteResult(offset);
    }

    public async Task<SchemaWriteResult> DeleteCompatibility(string? subject)
    {
        await store.ReadToEndAsync(CancellationToken.None);
        if (subject is not null && store.VersionsOf(subject).Count == 0 && store.CompatibilityOf(subject) is null)
            throw SchemaRegistryException.SubjectNotFound(subject);
        var previous = store.CompatibilityOf(subject) ?? store.CompatibilityOf(null) ?? SchemaTypes.DefaultLevel;
        var offset = await WriteAsync(SchemaRecords.SubjectKey(SchemaRecords.Config, subject), null);
        return new SchemaWriteResult(offset, Previous: previous);
    }

    public async Task<SchemaWriteResult> SetMode(string? subject, string mode, bool force)
    {
        await store.ReadToEndAsync(CancellationToken.None);
        mode = SchemaTypes.Mode(mode);
        if (subject is not null) CheckSubject(subject);
        // Importing keeps the ids of another registry: only safe where no id was handed out yet (as Confluent checks).
        if (mode == "IMPORT" && !force && (subject is null ? store.Subjects(true).Count > 0 : store.VersionsOf(subject).Count > 0))
            throw SchemaRegistryException.NotPermitted("Cannot import since found existing subjects");
        var offset = await WriteAsync(SchemaRecords.SubjectKey(SchemaRecords.Mode, subject), SchemaRecords.ModeValue(subject, mode));
        return new SchemaWriteResult(offset);
    }

    public async Task<SchemaWriteResult> DeleteMode(string subject)
    {
        await store.ReadToEndAsync(CancellationToken.None);
        var previous = store.ModeOf(subject) ?? throw SchemaRegistryException.SubjectNotFound(subject);
        var offset = await WriteAsync(SchemaRecords.SubjectKey(SchemaRecords.Mode, subject), null);
        return new SchemaWriteResult(offset, Previous: previous);
    }

    private string EffectiveMode(string subject) => store.ModeOf(subject) ?? store.ModeOf(null) ?? SchemaTypes.DefaultMode;

    private void CheckWritable(string subject)
    {
        if (EffectiveMode(subject) is "READONLY" or "READONLY_OVERRIDE") throw SchemaRegistryException.NotPermitted($"Subject {subject} is in read-only mode");
    }

    private static void CheckSubject(string subject)
    {
        if (string.IsNullOrWhiteSpace(subject) || subject.Any(char.IsControl)) throw SchemaRegistryException.InvalidSubject(subject);
    }

    // Written, acknowledged and read back here, so the next call sees it.
    private async Task<long> WriteAsync(byte[] key, byte[]? value)
    {
        long offset;
        try
        {
            offset = await store.WriteAsync(key, value, CancellationToken.None);
        }
        catch (Confluent.Kafka.KafkaException e)
        {
            throw SchemaRegistryException.Store($"Writing to the schemas topic {store.Topic} failed: {e.Error.Reason}");
        }
        await store.WaitForPositionAsync(offset + 1, CancellationToken.None);
        return offset;
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Schema registry: registered {Subject} version {Version} as id {SchemaId} ({SchemaType})")]
    private static partial void Registered(ILogger logger, string subject, int version, int schemaId, string schemaType);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Schema registry: deleted {Subject} version {Version} (permanent: {Permanent})")]
    private static partial void Deleted(ILogger logger, string subject, string version, bool permanent);
}
