using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Errors;

/// <summary>errors.log.enable: writes each failure at Error level with the exception, as Connect's LogReporter:
/// "Error encountered in task c-0. Executing stage 'X' with class 'Y'." The connector and task are structured
/// fields. The record's data is added only with errors.log.include.messages (a consumed record is then described
/// by topic, partition, offset and timestamp; a source record by its contents); configs never are.</summary>
public sealed class LogReporter(ConnectorTaskId id, ErrorHandlingConfig config, ILogger logger) : IErrorReporter
{
    public Task ReportAsync(ProcessingContext context)
    {
        if (!config.LogEnable || context.Error is null) return Task.CompletedTask;
        logger.LogError(context.Error,
            "Error encountered in task {Connector}-{Task}. Executing stage '{Stage}' with class '{ExecutingClass}'{RecordDetails}.",
            id.Connector, id.Task, context.Stage.ToConnectName(), context.ExecutingClass ?? "null",
            context.RecordDetails(config.LogIncludeMessages));
        return Task.CompletedTask;
    }

    public Task FlushAsync(TimeSpan timeout) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
