using System.Text;
using Confluent.Kafka;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Grains.Errors;

/// <summary>What is known about one record while a task processes it (Connect's ProcessingContext): the record
/// (the consumed Kafka record of a sink, the source record of a source), the stage and class running now, the
/// attempts made, and the error that ended it. One per record, so contexts never leak between records.</summary>
public sealed class ProcessingContext
{
    public ProcessingContext(ConsumerRecord consumerRecord) => ConsumerRecord = consumerRecord;

    public ProcessingContext(SourceRecord sourceRecord) => SourceRecord = sourceRecord;

    /// <summary>The record a sink task consumed (null for source records).</summary>
    public ConsumerRecord? ConsumerRecord { get; }

    /// <summary>The source record as it was when it failed: as polled for a transformation failure, as transformed
    /// for a conversion or produce failure (null for sink records).</summary>
    public SourceRecord? SourceRecord { get; private set; }

    /// <summary>A source record's key, value and headers as converted, once conversion succeeded.</summary>
    public Message<byte[]?, byte[]?>? ConvertedMessage { get; set; }

    public Stage Stage { get; private set; }

    /// <summary>The class running the current operation, by its Connect class name.</summary>
    public string? ExecutingClass { get; private set; }

    public int Attempt { get; set; }

    public Exception? Error { get; set; }

    public bool Failed => Error is not null;

    /// <summary>Completes when every reporter has handled this record's failure (the DLQ write acknowledged).</summary>
    public Task Reported { get; set; } = Task.CompletedTask;

    public void CurrentContext(Stage stage, string executingClass)
    {
        Stage = stage;
        ExecutingClass = executingClass;
    }

    /// <summary>The source record moving on to the next stage (after the transformations).</summary>
    public void Advance(SourceRecord record) => SourceRecord = record;

    public override string ToString() => ToString(false);

    /// <summary>Connect's wording: "Executing stage 'X' with class 'Y'[, where ... is ...].". The record's data is
    /// included only with <paramref name="includeMessage"/> (errors.log.include.messages); a consumed record is
    /// described by its coordinates only, as Connect does.</summary>
    public string ToString(bool includeMessage)
    {
        var builder = new StringBuilder("Executing stage '").Append(Stage.ToConnectName())
            .Append("' with class '").Append(ExecutingClass ?? "null").Append('\'');
        builder.Append(RecordDetails(includeMessage));
        return builder.Append('.').ToString();
    }

    /// <summary>", where source record is = ..." / ", where consumed record is {...}", or "" without details.</summary>
    public string RecordDetails(bool includeMessage)
    {
        if (!includeMessage) return "";
        if (SourceRecord is { } source) return ", where source record is = " + source;
        if (ConsumerRecord is { } msg)
        {
            var builder = new StringBuilder(", where consumed record is {topic='").Append(msg.Topic).Append('\'')
                .Append(", partition=").Append(msg.Partition)
                .Append(", offset=").Append(msg.Offset);
            if (msg.Timestamp is { } timestamp)
                builder.Append(", timestamp=").Append(timestamp)
                    .Append(", timestampType=").Append(ConsumerRecord.TimestampTypeName(msg.TimestampType));
            return builder.Append('}').ToString();
        }
        return "";
    }
}
