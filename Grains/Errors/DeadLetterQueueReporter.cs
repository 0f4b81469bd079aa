using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Confluent.Kafka;
using Timestamp = Confluent.Kafka.Timestamp;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Plugins.Json;

namespace OrleansConnect.Grains.Errors;

/// <summary>errors.deadletterqueue.topic.name: writes each failed record to the dead letter queue topic (created
/// with one partition and errors.deadletterqueue.topic.replication.factor when missing), with Connect's
/// __connect.errors.* headers when errors.deadletterqueue.context.headers.enable is set.
/// <list type="bullet">
/// <item>Sink records (as Connect): the consumed record's raw key, value and headers, its timestamp; the headers
/// name its topic, partition and offset.</item>
/// <item>Source records (an extension): the converted key, value and headers when the failure came after
/// conversion (producing); otherwise (a transformation or converter failed) the record rendered as JSON text: key,
/// value and each header value as schemaless JSON (a value that cannot be rendered so becomes a JSON string of
/// its text form). Kafka has no coordinates for such a record, so __connect.errors.topic is the topic the record
/// was for, and __connect.errors.partition / .offset hold its source partition and source offset as JSON.</item>
/// </list></summary>
public sealed class DeadLetterQueueReporter : IErrorReporter
{
    public const string HeaderPrefix = "__connect.errors.";
    public const string ErrorHeaderOrigTopic = HeaderPrefix + "topic";
    public const string ErrorHeaderOrigPartition = HeaderPrefix + "partition";
    public const string ErrorHeaderOrigOffset = HeaderPrefix + "offset";
    public const string ErrorHeaderConnectorName = HeaderPrefix + "connector.name";
    public const string ErrorHeaderTaskId = HeaderPrefix + "task.id";
    public const string ErrorHeaderStage = HeaderPrefix + "stage";
    public const string ErrorHeaderExecutingClass = HeaderPrefix + "class.name";
    public const string ErrorHeaderException = HeaderPrefix + "exception.class.name";
    public const string ErrorHeaderExceptionMessage = HeaderPrefix + "exception.message";
    public const string ErrorHeaderExceptionStackTrace = HeaderPrefix + "exception.stacktrace";

    private const int DlqPartitions = 1;

    private readonly ProducerLease _producer;
    private readonly ConnectorTaskId _id;
    private readonly string _topic;
    private readonly bool _contextHeaders;
    private readonly ILogger _logger;
    private readonly JsonConverter _json = new();

    private DeadLetterQueueReporter(ProducerLease producer, ConnectorTaskId id, ErrorHandlingConfig config, ILogger logger)
    {
        _producer = producer;
        _id = id;
        _topic = config.DeadLetterQueueTopic;
        _contextHeaders = config.DeadLetterQueueContextHeaders;
        _logger = logger;
        _json.Configure(new Dictionary<string, string?> { ["schemas.enable"] = "false" }, isKey: false);
    }

    public string Topic => _topic;

    /// <summary>Ensures the topic exists (through the worker's admin, with the connector's admin.override.*
    /// settings) and leases the silo's shared producer for the connector's producer config (the one its source
    /// tasks use too, as in Connect). Throws ConnectException when the topic cannot be created, as Connect does.</summary>
    public static async Task<DeadLetterQueueReporter> CreateAndSetupAsync(ConnectWorker worker, ConnectorTaskId id,
        ErrorHandlingConfig config, IReadOnlyDictionary<string, string> connectorConfig, ILogger logger, CancellationToken cancellationToken)
    {
        var topic = config.DeadLetterQueueTopic;
        var adminOverrides = ClientOverrides.Of(worker, connectorConfig, ClientOverrides.Admin);
        var admin = adminOverrides.Count == 0
            ? worker.TopicAdmin
            : new TopicAdmin(worker.BootstrapServers, worker.EmbeddedBroker,
                KafkaClients.Merge(worker.Config.ClientConfigs(ClientOverrides.Admin), adminOverrides)
                    .ToDictionary(kv => kv.Key, kv => (string?)kv.Value), logger);
        try
        {
            await admin.EnsureTopicAsync(topic, DlqPartitions, config.DeadLetterQueueReplicationFactor, null, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ConnectException($"Could not initialize dead letter queue with topic={topic}", e);
        }
        var producer = worker.Producers.Lease(ProducerConfigs.For(worker, connectorConfig), id);
        return new DeadLetterQueueReporter(producer, id, config, logger);
    }

    public Task ReportAsync(ProcessingContext context)
    {
        try
        {
            var message = context.ConsumerRecord is { } consumed ? FromConsumed(consumed)
                : context.SourceRecord is { } source ? FromSource(context, source)
                : null;
            if (message is null) return Task.CompletedTask;
            if (_contextHeaders) PopulateContextHeaders(message.Headers, context);

            var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _producer.Produce(_topic, message, report =>
            {
                if (!report.Error.IsError)
                {
                    delivered.TrySetResult();
                    return;
                }
                _logger.LogError("Could not produce message to dead letter queue. topic={Topic}: {Reason}", _topic, report.Error.Reason);
                delivered.TrySetException(new ConnectException($"Could not produce message to dead letter queue. topic={_topic}", new KafkaException(report.Error)));
            });
            return delivered.Task;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Could not produce message to dead letter queue. topic={Topic}", _topic);
            return Task.FromException(new ConnectException($"Could not produce message to dead letter queue. topic={_topic}", e));
        }
    }

    private static Message<byte[]?, byte[]?> FromConsumed(ConsumerRecord consumed)
    {
        var headers = new Headers();
        foreach (var (key, value) in consumed.Headers) headers.Add(key, value);
        return new Message<byte[]?, byte[]?>
        {
            Key = consumed.Key,
            Value = consumed.Value,
            Headers = headers,
            Timestamp = consumed.Timestamp is { } ts ? new Timestamp(ts, TimestampType.CreateTime) : default,
        };
    }

    private Message<byte[]?, byte[]?> FromSource(ProcessingContext context, SourceRecord record)
    {
        var headers = new Headers();
        if (context.ConvertedMessage is { } converted)
        {
            if (converted.Headers is not null)
                foreach (var header in converted.Headers) headers.Add(header.Key, header.GetValueBytes());
            return new Message<byte[]?, byte[]?> { Key = converted.Key, Value = converted.Value, Headers = headers, Timestamp = converted.Timestamp };
        }
        foreach (var header in record.Headers) headers.Add(header.Key, JsonText(record.Topic, header.Schema, header.Value));
        return new Message<byte[]?, byte[]?>
        {
            Key = JsonText(record.Topic, record.KeySchema, record.Key),
            Value = JsonText(record.Topic, record.ValueSchema, record.Value),
            Headers = headers,
            Timestamp = record.Timestamp is { } ts ? new Timestamp(ts, TimestampType.CreateTime) : default,
        };
    }

    /// <summary>Schemaless JSON of a Connect value (null stays null bytes); what JSON cannot express by the schema
    /// (a value that does not match it) is written as a JSON string of its text form.</summary>
    private byte[]? JsonText(string? topic, Schema? schema, object? value)
    {
        if (value is null) return null;
        try
        {
            return _json.FromConnectData(topic, null, schema, value);
        }
        catch (Exception)
        {
            return JsonString(Values.ToJavaString(value));
        }
    }

    private static byte[] JsonString(string text) =>
        Encoding.UTF8.GetBytes("\"" + JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"");

    private void PopulateContextHeaders(Headers headers, ProcessingContext context)
    {
        if (context.ConsumerRecord is { } consumed)
        {
            headers.Add(ErrorHeaderOrigTopic, Utf8(consumed.Topic));
            headers.Add(ErrorHeaderOrigPartition, Utf8(consumed.Partition.ToString(CultureInfo.InvariantCulture)));
            headers.Add(ErrorHeaderOrigOffset, Utf8(consumed.Offset.ToString(CultureInfo.InvariantCulture)));
        }
        else if (context.SourceRecord is { } source)
        {
            headers.Add(ErrorHeaderOrigTopic, Utf8(source.Topic));
            if (source.SourcePartition is { } partition)
                headers.Add(ErrorHeaderOrigPartition, JsonText(source.Topic, null, new Dictionary<string, object?>(partition)));
            if (source.SourceOffset is { } offset)
                headers.Add(ErrorHeaderOrigOffset, JsonText(source.Topic, null, new Dictionary<string, object?>(offset)));
        }
        headers.Add(ErrorHeaderConnectorName, Utf8(_id.Connector));
        headers.Add(ErrorHeaderTaskId, Utf8(_id.Task.ToString(CultureInfo.InvariantCulture)));
        headers.Add(ErrorHeaderStage, Utf8(context.Stage.ToConnectName()));
        headers.Add(ErrorHeaderExecutingClass, Utf8(context.ExecutingClass));
        if (context.Error is { } error)
        {
            headers.Add(ErrorHeaderException, Utf8(error.GetType().FullName));
            headers.Add(ErrorHeaderExceptionMessage, Utf8(error.Message));
            headers.Add(ErrorHeaderExceptionStackTrace, Utf8(error.ToString()));
        }
    }

    private static byte[]? Utf8(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text);

    // The producer is shared: wait for this reporter's records only.
    public Task FlushAsync(TimeSpan timeout) => _producer.WhenDeliveredAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        // What was reported is delivered before the lease goes (bounded, as a producer close is in Connect).
        if (!await _producer.WhenDeliveredAsync(TimeSpan.FromSeconds(30)))
            _logger.LogWarning("{Count} records were not delivered to dead letter queue {Topic} before it closed", _producer.InFlight, _topic);
        await _producer.DisposeAsync();
    }
}
