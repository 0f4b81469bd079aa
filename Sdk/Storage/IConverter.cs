namespace OrleansConnect.Connect.Storage;

using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;

/// <summary>Converts record keys or values between Connect data and the bytes stored in Kafka.</summary>
public interface IConverter
{
    void Configure(IReadOnlyDictionary<string, string?> configs, bool isKey);

    /// <summary>The serialized form; null for a null value (a tombstone).</summary>
    byte[]? FromConnectData(string? topic, ConnectHeaders? headers, Schema? schema, object? value);

    /// <summary>The Connect data; null bytes give <see cref="SchemaAndValue.Null"/>.</summary>
    SchemaAndValue ToConnectData(string? topic, ConnectHeaders? headers, byte[]? value);

    ConfigDef Config { get; }
}

/// <summary>Converts header values between Connect data and bytes.</summary>
public interface IHeaderConverter
{
    void Configure(IReadOnlyDictionary<string, string?> configs);

    byte[]? FromConnectHeader(string? topic, string headerKey, Schema? schema, object? value);

    SchemaAndValue ToConnectHeader(string? topic, string headerKey, byte[]? value);

    ConfigDef Config { get; }
}
