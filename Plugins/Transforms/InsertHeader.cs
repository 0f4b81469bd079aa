using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's InsertHeader: appends one header whose value is the configured literal, typed once by Connect's value
/// parser ("1" is an int8, "true" a boolean, "2024-01-15" a Date, "null" a null header, other text a string).
/// </summary>
[PluginName("org.apache.kafka.connect.transforms.InsertHeader")]
public sealed class InsertHeader<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string HeaderConfig = "header";
    public const string ValueLiteralConfig = "value.literal";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(HeaderConfig, ConfigType.String, ConfigDef.NoDefaultValue, NonNullValidator.Instance, Importance.High,
            "Key of the header to add.")
        .Define(ValueLiteralConfig, ConfigType.String, ConfigDef.NoDefaultValue, NonNullValidator.Instance, Importance.High,
            "Literal value of the header added to every record; its type is inferred from the text.");

    private string _header = "";
    private SchemaAndValue _literalValue = SchemaAndValue.Null;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _header = config.GetString(HeaderConfig)!;
        _literalValue = ConnectValues.ParseString(config.GetString(ValueLiteralConfig));
    }

    public R? Apply(R record)
    {
        var headers = record.Headers.Duplicate();
        headers.Add(_header, _literalValue);
        return (R)record.NewRecord(record.Topic, record.KafkaPartition, record.KeySchema, record.Key, record.ValueSchema,
            record.Value, record.Timestamp, headers);
    }

    public void Close()
    {
    }
}
