using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Worker;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Preview;

/// <summary>POST /transforms/preview: builds the converters and transformation chain a task would build from the
/// given config and runs each sample record through them (<see cref="PreviewPipeline"/>). Holds no state: every
/// call builds and closes its own plugins.</summary>
[Orleans.Concurrency.StatelessWorker]
public sealed class TransformPreviewGrain(ConnectWorker worker) : Grain, ITransformPreviewGrain
{
    /// <summary>More sample records than this in one request is a 400: previews are for samples.</summary>
    public const int MaxRecords = 10_000;

    public async Task<TransformPreviewResponse> Preview(TransformPreviewRequest request)
    {
        var records = Validate(request);
        var config = (request.Config ?? [])
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
        await using var pipeline = PreviewPipeline.Create(worker, config);
        var outcomes = new List<PreviewOutcome>(records.Count);
        foreach (var record in records)
            outcomes.Add(await pipeline.RunAsync(record, CancellationToken.None));
        return new TransformPreviewResponse(outcomes);
    }

    private static List<PreviewRecord> Validate(TransformPreviewRequest? request)
    {
        if (request?.Records is not { } records)
            throw new BadRequestException("Request body must have \"records\": a list of records {\"topic\", \"partition\", \"offset\", \"timestamp\", \"key\", \"value\", \"headers\"}.");
        if (records.Count > MaxRecords)
            throw new BadRequestException($"Too many records: {records.Count}; a preview takes at most {MaxRecords}.");
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i] ?? throw new BadRequestException($"records[{i}] is null; expected a record object.");
            // Topic, partition, offset and timestamp are taken as given (any may be null, the topic may be ""):
            // Connect's SourceRecord and SinkRecord check none of them, and the runtime runs chains on such records.
            if (record.Headers is { } headers)
            {
                for (var h = 0; h < headers.Count; h++)
                {
                    if (headers[h] is null || headers[h].Key is null)
                        throw new BadRequestException($"records[{i}].headers[{h}].key is required.");
                }
            }
        }
        return records;
    }
}
