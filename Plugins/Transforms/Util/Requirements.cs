using System.Collections;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Sink;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>The shape checks SMTs make on what they transform, with Kafka's messages (purpose in brackets).</summary>
public static class Requirements
{
    public static void RequireSchema(Schema? schema, string purpose)
    {
        if (schema is null) throw new DataException($"Schema required for [{purpose}]");
    }

    public static IDictionary RequireMap(object? value, string purpose) =>
        value as IDictionary ?? throw new DataException(
            $"Only Map objects supported in absence of schema for [{purpose}], found: {NullSafeClassName(value)}");

    public static IDictionary? RequireMapOrNull(object? value, string purpose) =>
        value is null ? null : RequireMap(value, purpose);

    public static Struct RequireStruct(object? value, string purpose) =>
        value as Struct ?? throw new DataException(
            $"Only Struct objects supported for [{purpose}], found: {NullSafeClassName(value)}");

    public static Struct? RequireStructOrNull(object? value, string purpose) =>
        value is null ? null : RequireStruct(value, purpose);

    public static SinkRecord RequireSinkRecord(ConnectRecord record, string purpose) =>
        record as SinkRecord ?? throw new DataException(
            $"Only SinkRecord supported for [{purpose}], found: {NullSafeClassName(record)}");

    public static string NullSafeClassName(object? value) => value?.GetType().FullName ?? "null";
}
