using System.Text;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Storage;

namespace OrleansConnect.Plugins.Storage;

/// <summary>
/// Kafka's StringConverter: writes the text form of any value (Java's toString: "true", "1.0", Struct{a=1}) in the
/// configured encoding; reads any bytes as an optional string. Also a header converter.
/// </summary>
[PluginName("org.apache.kafka.connect.storage.StringConverter")]
public sealed class StringConverter : IConverter, IHeaderConverter, IVersioned
{
    public const string EncodingConfig = "converter.encoding";
    public const string EncodingDefault = "UTF8";

    private Encoding _encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    private bool _javaUtf16; // Java's "UTF-16" writes a big-endian BOM and detects one when reading.

    public ConfigDef Config => NewConfigDef();

    public string Version => AppInfo.KafkaVersion;

    public static ConfigDef NewConfigDef() =>
        ConverterConfig.NewConfigDef().Define(EncodingConfig, ConfigType.String, EncodingDefault, null, Importance.High,
            "The name of the character encoding used to turn strings into bytes and back.",
            "Converter", 0, Width.Medium, "Encoding");

    public void Configure(IReadOnlyDictionary<string, string?> configs, bool isKey) =>
        Apply(ConverterConfig.WithType(configs, isKey ? ConverterType.Key : ConverterType.Value));

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        ArgumentNullException.ThrowIfNull(configs);
        Apply(configs.ContainsKey(ConverterConfig.TypeConfig) ? configs : ConverterConfig.WithType(configs, ConverterType.Header));
    }

    private void Apply(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new ConverterConfig(NewConfigDef(), configs);
        var name = config.GetString(EncodingConfig) ?? EncodingDefault;
        (_encoding, _javaUtf16) = ResolveEncoding(name) ?? throw new ConfigException(EncodingConfig, name, "Unsupported character encoding");
    }

    /// <summary>Maps Java charset names (UTF8, UTF-16, ISO-8859-1, US-ASCII...) to .NET encodings.</summary>
    private static (Encoding, bool)? ResolveEncoding(string name)
    {
        var normalized = name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        switch (normalized)
        {
            case "utf8": return (new UTF8Encoding(false), false);
            case "utf16": return (new UnicodeEncoding(bigEndian: true, byteOrderMark: false), true);
            case "utf16be": return (new UnicodeEncoding(bigEndian: true, byteOrderMark: false), false);
            case "utf16le": return (new UnicodeEncoding(bigEndian: false, byteOrderMark: false), false);
            case "utf32": case "utf32be": return (new UTF32Encoding(bigEndian: true, byteOrderMark: false), false);
            case "utf32le": return (new UTF32Encoding(bigEndian: false, byteOrderMark: false), false);
            case "ascii": case "usascii": return (Encoding.ASCII, false);
            case "latin1": case "iso88591": return (Encoding.Latin1, false);
        }
        try
        {
            return (Encoding.GetEncoding(name), false);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public byte[]? FromConnectData(string? topic, ConnectHeaders? headers, Schema? schema, object? value)
    {
        if (value is null) return null;
        var text = Values.ToJavaString(value);
        if (!_javaUtf16) return _encoding.GetBytes(text);
        var bytes = new byte[2 + _encoding.GetByteCount(text)];
        bytes[0] = 0xFE;
        bytes[1] = 0xFF;
        _encoding.GetBytes(text, 0, text.Length, bytes, 2);
        return bytes;
    }

    public SchemaAndValue ToConnectData(string? topic, ConnectHeaders? headers, byte[]? value)
    {
        if (value is null) return new SchemaAndValue(Schema.OptionalStringSchema, null);
        try
        {
            if (_javaUtf16 && value.Length >= 2)
            {
                if (value[0] == 0xFE && value[1] == 0xFF) return new SchemaAndValue(Schema.OptionalStringSchema, _encoding.GetString(value, 2, value.Length - 2));
                if (value[0] == 0xFF && value[1] == 0xFE)
                    return new SchemaAndValue(Schema.OptionalStringSchema, Encoding.Unicode.GetString(value, 2, value.Length - 2));
            }
            return new SchemaAndValue(Schema.OptionalStringSchema, _encoding.GetString(value));
        }
        catch (DecoderFallbackException e)
        {
            throw new DataException("Failed to deserialize string: " + e.Message, e);
        }
    }

    public byte[]? FromConnectHeader(string? topic, string headerKey, Schema? schema, object? value) =>
        FromConnectData(topic, null, schema, value);

    public SchemaAndValue ToConnectHeader(string? topic, string headerKey, byte[]? value) =>
        ToConnectData(topic, null, value);
}
