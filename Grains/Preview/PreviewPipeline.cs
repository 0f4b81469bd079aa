using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Grains.Errors;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Preview;

/// <summary>One preview: the converters and transformation chains a task of the given config would use, and the
/// run of one sample record through them.
/// <list type="bullet">
/// <item>A record with an offset is a sink record: its bytes are converted (header, key, value converters) into a
/// SinkRecord, which goes through the chain.</item>
/// <item>A record without one is a source record: its bytes are read by the same converters to get the Connect
/// data a source task would produce, which goes through the chain as a SourceRecord.</item>
/// </list>
/// What comes out is written back through the converters and rendered as JSON. Each stage runs through a
/// <see cref="RetryWithToleranceOperator"/> tolerating everything without retries, so a failing record becomes
/// an error naming the stage and class, and the others go on.</summary>
public sealed class PreviewPipeline : IAsyncDisposable
{
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 1000 };

    private readonly IConverter _keyConverter;
    private readonly IConverter _valueConverter;
    private readonly IHeaderConverter _headerConverter;
    private readonly string _keyConverterClass;
    private readonly string _valueConverterClass;
    private readonly string _headerConverterClass;
    private readonly TransformationChain<SinkRecord> _sinkChain;
    private readonly TransformationChain<SourceRecord> _sourceChain;
    private readonly RetryWithToleranceOperator _operator =
        new(ErrorHandlingConfig.Default with { Tolerance = ToleranceType.All }, []);

    private PreviewPipeline(IConverter keyConverter, IConverter valueConverter, IHeaderConverter headerConverter,
        TransformationChain<SinkRecord> sinkChain, TransformationChain<SourceRecord> sourceChain)
    {
        _keyConverter = keyConverter;
        _valueConverter = valueConverter;
        _headerConverter = headerConverter;
        _keyConverterClass = RetryWithToleranceOperator.ClassNameOf(keyConverter);
        _valueConverterClass = RetryWithToleranceOperator.ClassNameOf(valueConverter);
        _headerConverterClass = RetryWithToleranceOperator.ClassNameOf(headerConverter);
        _sinkChain = sinkChain;
        _sourceChain = sourceChain;
    }

    /// <summary>Builds the plugins; an invalid converter, transform or predicate config is a 400 naming the key.</summary>
    public static PreviewPipeline Create(ConnectWorker worker, IReadOnlyDictionary<string, string> config)
    {
        var key = Build(WorkerConfig.KeyConverter, () => ConverterFactory.CreateConverter(worker, config, isKey: true));
        var value = Build(WorkerConfig.ValueConverter, () => ConverterFactory.CreateConverter(worker, config, isKey: false));
        var header = Build(WorkerConfig.HeaderConverter, () => ConverterFactory.CreateHeaderConverter(worker, config));
        var sinkChain = Build(null, () => TransformationChain<SinkRecord>.Create(worker.Plugins, config));
        try
        {
            var sourceChain = Build(null, () => TransformationChain<SourceRecord>.Create(worker.Plugins, config));
            return new PreviewPipeline(key, value, header, sinkChain, sourceChain);
        }
        catch
        {
            sinkChain.Dispose();
            throw;
        }
    }

    /// <summary>Runs a plugin's construction; its config error becomes a 400 whose message names the connector
    /// config key (a converter's own keys get the converter's prefix back).</summary>
    private static T Build<T>(string? converterKey, Func<T> build)
    {
        try
        {
            return build();
        }
        catch (ConfigException e)
        {
            var prefix = converterKey is null ? null : converterKey + ".";
            if (prefix is not null && e.Name is { } name && name != converterKey && !name.StartsWith(prefix, StringComparison.Ordinal))
            {
                var head = new ConfigException(name, e.Value).Message;
                var detail = e.Message.StartsWith(head, StringComparison.Ordinal) && e.Message.Length > head.Length + 2 ? e.Message[(head.Length + 2)..] : null;
                throw new BadRequestException(new ConfigException(prefix + name, e.Value, detail).Message);
            }
            if (prefix is not null && e.Name is null)
                throw new BadRequestException($"Invalid configuration under {prefix}*: {e.Message}");
            throw new BadRequestException(e.Message);
        }
        catch (Exception e) when (e is not BadRequestException)
        {
            // A plugin that cannot be built from the config (its constructor or Configure threw).
            throw new BadRequestException(converterKey is null ? $"Invalid transform or predicate configuration: {e.Message}" : $"Invalid configuration for {converterKey}: {e.Message}");
        }
    }

    public async ValueTask<PreviewOutcome> RunAsync(PreviewRecord input, CancellationToken cancellationToken)
    {
        var key = Bytes(input.Key);
        var value = Bytes(input.Value);
        var headers = (input.Headers ?? []).Select(h => new KeyValuePair<string, byte[]?>(h.Key!, Bytes(h.Value))).ToList();
        // Connect's records take a null or empty topic, a null partition and a null timestamp. The processing
        // context's consumer record stands for the input only for error reporters, which a preview has none of,
        // so a missing topic is "" there. A sink record's partition is an int in Connect: a missing one is 0.
        return input.Offset is { } offset
            ? await RunSinkAsync(input.Topic, new ConsumerRecord(input.Topic ?? "", input.Partition ?? 0, offset, input.Timestamp,
                input.Timestamp is null ? TimestampType.NoTimestampType : TimestampType.CreateTime, key, value, headers), cancellationToken)
            : await RunSourceAsync(input, key, value, headers, cancellationToken);
    }

    private async ValueTask<PreviewOutcome> RunSinkAsync(string? topic, ConsumerRecord consumed, CancellationToken cancellationToken)
    {
        var context = new ProcessingContext(consumed);
        var data = await ToConnectAsync(context, topic, consumed.Key, consumed.Value, consumed.Headers, cancellationToken);
        if (data is not { } d) return Error(context);
        var record = new SinkRecord(topic, consumed.Partition, d.Key.Schema, d.Key.Value, d.Value.Schema, d.Value.Value,
            consumed.Offset, consumed.Timestamp, consumed.TimestampType, d.Headers);
        var transformed = await _sinkChain.ApplyAsync(record, context, _operator, cancellationToken);
        if (context.Failed) return Error(context);
        if (transformed is null) return new PreviewDropped(true);
        return await RenderAsync(context, transformed, transformed.KafkaOffset, cancellationToken);
    }

    private async ValueTask<PreviewOutcome> RunSourceAsync(PreviewRecord input, byte[]? key, byte[]? value,
        List<KeyValuePair<string, byte[]?>> headers, CancellationToken cancellationToken)
    {
        var topic = input.Topic;
        // The context describes the record as given until it is a SourceRecord.
        var context = new ProcessingContext(new ConsumerRecord(topic ?? "", input.Partition ?? -1, -1, input.Timestamp,
            input.Timestamp is null ? TimestampType.NoTimestampType : TimestampType.CreateTime, key, value, headers));
        var data = await ToConnectAsync(context, topic, key, value, headers, cancellationToken);
        if (data is not { } d) return Error(context);
        var record = new SourceRecord(null, null, topic, input.Partition, d.Key.Schema, d.Key.Value, d.Value.Schema, d.Value.Value,
            input.Timestamp, d.Headers);
        var transformed = await _sourceChain.ApplyAsync(record, context, _operator, cancellationToken);
        if (context.Failed) return Error(context);
        if (transformed is null) return new PreviewDropped(true);
        return await RenderAsync(context, transformed, null, cancellationToken);
    }

    private async ValueTask<(SchemaAndValue Key, SchemaAndValue Value, ConnectHeaders Headers)?> ToConnectAsync(ProcessingContext context,
        string? topic, byte[]? key, byte[]? value, IReadOnlyList<KeyValuePair<string, byte[]?>> headers, CancellationToken cancellationToken)
    {
        var connectHeaders = await _operator.ExecuteAsync(context, () =>
        {
            var converted = new ConnectHeaders();
            foreach (var (headerKey, bytes) in headers)
                converted.Add(headerKey, _headerConverter.ToConnectHeader(topic, headerKey, bytes));
            return converted;
        }, Stage.HeaderConverter, _headerConverterClass, cancellationToken);
        var keyData = await _operator.ExecuteAsync(context, () => _keyConverter.ToConnectData(topic, connectHeaders, key),
            Stage.KeyConverter, _keyConverterClass, cancellationToken);
        var valueData = await _operator.ExecuteAsync(context, () => _valueConverter.ToConnectData(topic, connectHeaders, value),
            Stage.ValueConverter, _valueConverterClass, cancellationToken);
        if (context.Failed || connectHeaders is null) return null;
        return (keyData, valueData, connectHeaders);
    }

    /// <summary>The record written back through the converters (headers, key, value, as a source task writes),
    /// rendered in the request's shape.</summary>
    private async ValueTask<PreviewOutcome> RenderAsync(ProcessingContext context, ConnectRecord record, long? offset, CancellationToken cancellationToken)
    {
        var topic = record.Topic;
        var headers = await _operator.ExecuteAsync(context, () => record.Headers
                .Select(h => new PreviewHeader(h.Key, Json(_headerConverter.FromConnectHeader(topic, h.Key, h.Schema, h.Value))))
                .ToList(),
            Stage.HeaderConverter, _headerConverterClass, cancellationToken);
        var key = await _operator.ExecuteAsync(context, () => _keyConverter.FromConnectData(topic, record.Headers, record.KeySchema, record.Key),
            Stage.KeyConverter, _keyConverterClass, cancellationToken);
        var value = await _operator.ExecuteAsync(context, () => _valueConverter.FromConnectData(topic, record.Headers, record.ValueSchema, record.Value),
            Stage.ValueConverter, _valueConverterClass, cancellationToken);
        if (context.Failed) return Error(context);
        return new PreviewRecord(topic, record.KafkaPartition, offset, record.Timestamp, Json(key), Json(value), headers);
    }

    /// <summary>"Executing stage 'X' with class 'Y' failed: message (caused by: ...)".</summary>
    private static PreviewError Error(ProcessingContext context)
    {
        var builder = new StringBuilder("Executing stage '").Append(context.Stage.ToConnectName())
            .Append("' with class '").Append(context.ExecutingClass).Append("' failed: ");
        var error = context.Error;
        builder.Append(error?.Message ?? "unknown error");
        for (var cause = error?.InnerException; cause is not null; cause = cause.InnerException)
            builder.Append(" (caused by: ").Append(cause.Message).Append(')');
        return new PreviewError(builder.ToString());
    }

    /// <summary>JSON null is null bytes; any other value its JSON text in UTF-8.</summary>
    private static byte[]? Bytes(JsonElement? element) =>
        element is not { } e || e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : Encoding.UTF8.GetBytes(e.GetRawText());

    /// <summary>Output bytes as JSON: parsed when they are JSON, else a JSON string of their UTF-8 text.</summary>
    private static JsonElement? Json(byte[]? bytes)
    {
        if (bytes is null) return null;
        try
        {
            using var document = JsonDocument.Parse(bytes, ReadOptions);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(bytes);
            using var document = JsonDocument.Parse("\"" + JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"");
            return document.RootElement.Clone();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _sinkChain.Dispose();
        _sourceChain.Dispose();
        await _operator.DisposeAsync();
    }
}
