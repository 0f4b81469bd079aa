namespace OrleansConnect.Connect.Transforms;

using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;

/// <summary>
/// A single message transformation. Apply returns a new record (build it with <c>(R)record.NewRecord(...)</c> to keep
/// the concrete record type), the same record, or null to drop it.
/// </summary>
public interface ITransformation<R> where R : ConnectRecord
{
    void Configure(IReadOnlyDictionary<string, string?> configs);

    R? Apply(R record);

    ConfigDef Config { get; }

    void Close();
}
