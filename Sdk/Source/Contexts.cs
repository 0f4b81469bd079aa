namespace OrleansConnect.Connect.Source;

using OrleansConnect.Connect.Connector;

/// <summary>The context of a source connector: adds access to committed source offsets.</summary>
public interface ISourceConnectorContext : IConnectorContext
{
    IOffsetStorageReader OffsetStorageReader { get; }
}

/// <summary>The context of a source task.</summary>
public interface ISourceTaskContext
{
    IReadOnlyDictionary<string, string> Configs { get; }

    IOffsetStorageReader OffsetStorageReader { get; }
}

/// <summary>
/// Reads the last committed offset of source partitions. Partition maps compare by value (see
/// <see cref="SourcePartitionComparer"/>).
/// </summary>
public interface IOffsetStorageReader
{
    IReadOnlyDictionary<string, object?>? Offset(IReadOnlyDictionary<string, object?> partition);

    IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?> Offsets(
        IEnumerable<IReadOnlyDictionary<string, object?>> partitions);
}
