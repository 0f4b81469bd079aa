using Orleans;

namespace OrleansConnect.Grains.Interfaces.SchemaRegistry;

/// <summary>An error of the schema registry, rendered as Confluent renders it: HTTP <see cref="Status"/> with
/// {"error_code": <see cref="ErrorCode"/>, "message": ...}. Orleans serializes it with its codes, so a refusal raised by
/// the writer grain on another silo reaches the client intact.</summary>
[GenerateSerializer, Alias("oc.SchemaRegistryException")]
public sealed class SchemaRegistryException(int status, int errorCode, string message) : Exception(message)
{
    [Id(0)] public int Status { get; private set; } = status;
    [Id(1)] public int ErrorCode { get; private set; } = errorCode;

    // Confluent's codes and messages (io.confluent.kafka.schemaregistry.rest.exceptions.Errors).
    public static SchemaRegistryException SubjectNotFound(string subject) => new(404, 40401, $"Subject '{subject}' not found.");
    public static SchemaRegistryException VersionNotFound(int version) => new(404, 40402, $"Version {version} not found.");
    public static SchemaRegistryException SchemaNotFound() => new(404, 40403, "Schema not found");
    public static SchemaRegistryException SchemaNotFound(int id) => new(404, 40403, $"Schema {id} not found");
    public static SchemaRegistryException SubjectSoftDeleted(string subject) =>
        new(404, 40404, $"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently");
    public static SchemaRegistryException SubjectNotSoftDeleted(string subject) =>
        new(404, 40405, $"Subject '{subject}' was not deleted first before being permanently deleted");
    public static SchemaRegistryException VersionSoftDeleted(string subject, int version) =>
        new(404, 40406, $"Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently");
    public static SchemaRegistryException VersionNotSoftDeleted(string subject, int version) =>
        new(404, 40407, $"Subject '{subject}' Version {version} was not deleted first before being permanently deleted");
    public static SchemaRegistryException SubjectCompatibilityNotConfigured(string subject) =>
        new(404, 40408, $"Subject '{subject}' does not have subject-level compatibility configured");
    public static SchemaRegistryException SubjectModeNotConfigured(string subject) =>
        new(404, 40409, $"Subject '{subject}' does not have subject-level mode configured");
    public static SchemaRegistryException Incompatible(string subject, string details) =>
        new(409, 40901, $"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: {details}");
    public static SchemaRegistryException InvalidSchema(string message) => new(422, 42201, message);
    public static SchemaRegistryException InvalidVersion(string version) =>
        new(422, 42202, $"The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    public static SchemaRegistryException InvalidCompatibility() =>
        new(422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive");
    public static SchemaRegistryException InvalidMode() =>
        new(422, 42204, "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT.");
    public static SchemaRegistryException NotPermitted(string message) => new(422, 42205, message);
    public static SchemaRegistryException InvalidSubject(string subject) => new(422, 42208, $"The specified subject '{subject}' is not a valid.");
    public static SchemaRegistryException Store(string message) => new(500, 50001, message);
}

/// <summary>A reference from a schema to a named type registered under another subject.</summary>
[GenerateSerializer, Alias("oc.SchemaReference")]
public sealed record SchemaReference([property: Id(0)] string Name, [property: Id(1)] string Subject, [property: Id(2)] int Version);

/// <summary>One version of a subject, as GET /subjects/{s}/versions/{v} shows it.</summary>
[GenerateSerializer, Alias("oc.RegisteredSchema")]
public sealed record RegisteredSchema(
    [property: Id(0)] string Subject,
    [property: Id(1)] int Version,
    [property: Id(2)] int Id,
    [property: Id(3)] string SchemaType,
    [property: Id(4)] string Schema,
    [property: Id(5)] IReadOnlyList<SchemaReference> References,
    [property: Id(6)] bool Deleted);

/// <summary>A schema as POST /subjects/{s}/versions sends it. Id and Version are only honoured in IMPORT mode.</summary>
[GenerateSerializer, Alias("oc.SchemaSubmission")]
public sealed record SchemaSubmission(
    [property: Id(0)] string Schema,
    [property: Id(1)] string SchemaType,
    [property: Id(2)] IReadOnlyList<SchemaReference> References,
    [property: Id(3)] int? Id = null,
    [property: Id(4)] int? Version = null);

/// <summary>What a write did and where it landed in the _schemas topic: a reader on another silo waits until it has
/// read past <see cref="Offset"/> before it answers, so a client reads its own writes from any silo.</summary>
[GenerateSerializer, Alias("oc.SchemaWriteResult")]
public sealed record SchemaWriteResult([property: Id(0)] long Offset, [property: Id(1)] int Id = 0, [property: Id(2)] int Version = 0,
    [property: Id(3)] IReadOnlyList<int>? Versions = null, [property: Id(4)] string? Previous = null);

/// <summary>The one writer of the _schemas topic in the cluster: ids and versions are allocated here, after the writer's
/// silo has read the topic to its end, so two silos never hand out the same id. Key: "default".</summary>
[Alias("oc.ISchemaRegistryWriterGrain")]
public interface ISchemaRegistryWriterGrain : IGrainWithStringKey
{
    Task<SchemaWriteResult> Register(string subject, SchemaSubmission submission, bool normalize);
    Task<SchemaWriteResult> DeleteVersion(string subject, string version, bool permanent);
    Task<SchemaWriteResult> DeleteSubject(string subject, bool permanent);
    /// <summary>subject null: the global level.</summary>
    Task<SchemaWriteResult> SetCompatibility(string? subject, string level);
    Task<SchemaWriteResult> DeleteCompatibility(string? subject);
    Task<SchemaWriteResult> SetMode(string? subject, string mode, bool force);
    Task<SchemaWriteResult> DeleteMode(string subject);
}
