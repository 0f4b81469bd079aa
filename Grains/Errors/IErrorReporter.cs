namespace OrleansConnect.Grains.Errors;

/// <summary>Connect's ErrorReporter: told about every failed record (log, dead letter queue).</summary>
public interface IErrorReporter : IAsyncDisposable
{
    /// <summary>Reports the failure in <paramref name="context"/>; the task completes when the report is durable
    /// (for the dead letter queue: the broker acknowledged the record). Never throws: a failure faults the task.</summary>
    Task ReportAsync(ProcessingContext context);

    /// <summary>Waits for the reports still in flight (before a task commits offsets past their records).</summary>
    Task FlushAsync(TimeSpan timeout);
}
