using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Errors;

/// <summary>Builds a task's error handling from its connector's errors.* keys (Connect's Worker.sinkTaskReporters /
/// sourceTaskReporters): the dead letter queue reporter when a topic is set, then the log reporter when
/// errors.log.enable is set.</summary>
public static class ErrorReporters
{
    public static async Task<RetryWithToleranceOperator> CreateOperatorAsync(ConnectWorker worker, ConnectorTaskId id,
        IReadOnlyDictionary<string, string> connectorConfig, CancellationToken cancellationToken)
    {
        var config = ErrorHandlingConfig.From(connectorConfig);
        var reporters = new List<IErrorReporter>();
        if (config.HasDeadLetterQueue)
            reporters.Add(await DeadLetterQueueReporter.CreateAndSetupAsync(worker, id, config, connectorConfig,
                worker.LoggerFactory.CreateLogger<DeadLetterQueueReporter>(), cancellationToken));
        if (config.LogEnable)
            reporters.Add(new LogReporter(id, config, worker.LoggerFactory.CreateLogger<LogReporter>()));
        return new RetryWithToleranceOperator(config, reporters);
    }
}
