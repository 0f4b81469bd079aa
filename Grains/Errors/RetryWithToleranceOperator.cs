using System.Reflection;
using Confluent.Kafka;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;

namespace OrleansConnect.Grains.Errors;

/// <summary>Connect's RetryWithToleranceOperator: runs one stage of a record's processing, retrying retriable
/// failures and tolerating failures per errors.tolerance.
/// <list type="bullet">
/// <item>Retriable failures (<see cref="RetriableException"/>, Confluent's <see cref="KafkaRetriableException"/>)
/// are retried for up to errors.retry.timeout ms (0: no retry, -1: forever), waiting 300 ms, 600 ms, 1.2 s... and,
/// once that exceeds errors.retry.delay.max.ms, a random time below it. A stop ends the wait: the operation then
/// throws <see cref="OperationCanceledException"/> and the record is not counted as processed.</item>
/// <item>Converter and transformation stages tolerate any exception; other stages only retriable ones.</item>
/// <item>A failure is reported to every reporter (log, dead letter queue). With tolerance all it is then skipped
/// (the operation returns default and <see cref="ProcessingContext.Failed"/> is set); with none, or when the
/// exception is not tolerable in the stage, ConnectException "Tolerance exceeded in error handler" / "Unhandled
/// exception in error handler" is thrown, failing the task.</item>
/// </list>
/// Kafka skips a record whose retries ran out even with tolerance none; here that fails the task like any other
/// error with tolerance none (nothing is dropped without errors.tolerance=all).</summary>
public sealed class RetryWithToleranceOperator : IAsyncDisposable
{
    public const long RetriesDelayMinMs = 300;

    /// <summary>The class Connect names for failures reported by a sink task or on a source task's produce.</summary>
    public const string SinkTaskClass = "org.apache.kafka.connect.sink.SinkTask";
    public const string SourceTaskClass = "org.apache.kafka.connect.source.SourceTask";

    private readonly ErrorHandlingConfig _config;
    private readonly IReadOnlyList<IErrorReporter> _reporters;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<Task> _pendingReports = [];
    private long _totalFailures;

    public RetryWithToleranceOperator(ErrorHandlingConfig config, IReadOnlyList<IErrorReporter> reporters, TimeProvider? time = null)
    {
        _config = config;
        _reporters = reporters;
        _time = time ?? TimeProvider.System;
    }

    public ErrorHandlingConfig Config => _config;

    public ToleranceType Tolerance => _config.Tolerance;

    public IReadOnlyList<IErrorReporter> Reporters => _reporters;

    /// <summary>Where Connect's task-error-metrics are counted (the task's, set by its loop).</summary>
    public Metrics.TaskMetrics Metrics { get; set; } = Grains.Metrics.TaskMetrics.None;

    /// <summary>Runs <paramref name="operation"/> as <paramref name="stage"/> of the record in <paramref name="context"/>.
    /// Returns its result; default when the context has already failed or the failure was tolerated.</summary>
    public ValueTask<T?> ExecuteAsync<T>(ProcessingContext context, Func<T> operation, Stage stage, string executingClass, CancellationToken cancellationToken) =>
        ExecuteAsync(context, static op => op(), operation, stage, executingClass, cancellationToken);

    /// <summary>As <see cref="ExecuteAsync{T}(ProcessingContext, Func{T}, Stage, string, CancellationToken)"/>, with the
    /// operation's input passed as <paramref name="state"/>: a static lambda and a struct state cost no allocation, where
    /// a capturing lambda costs a closure and a delegate per record on the task loops' hot path.</summary>
    public ValueTask<T?> ExecuteAsync<TState, T>(ProcessingContext context, Func<TState, T> operation, TState state, Stage stage, string executingClass,
        CancellationToken cancellationToken)
    {
        context.CurrentContext(stage, executingClass);
        if (context.Failed) return default;
        try
        {
            context.Attempt = 1;
            return new ValueTask<T?>(operation(state));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Metrics.RecordFailure();
            return HandleFailureAsync(context, operation, state, e, cancellationToken);
        }
    }

    private async ValueTask<T?> HandleFailureAsync<TState, T>(ProcessingContext context, Func<TState, T> operation, TState state, Exception error,
        CancellationToken cancellationToken)
    {
        var start = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var deadline = _config.RetryTimeoutMs >= 0 ? start + _config.RetryTimeoutMs : long.MaxValue;
        while (IsRetriable(error) && _time.GetUtcNow().ToUnixTimeMilliseconds() < deadline)
        {
            await BackoffAsync(context.Attempt, deadline, cancellationToken);
            context.Attempt++;
            Metrics.RecordRetry();
            try
            {
                return operation(state);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Metrics.RecordFailure();
                error = e;
            }
        }

        context.Error = error;
        MarkAsFailed();
        try
        {
            if (!Tolerates(context.Stage, error))
                throw new ConnectException("Unhandled exception in error handler", error);
            if (!WithinToleranceLimits())
                throw new ConnectException("Tolerance exceeded in error handler", error);
            Metrics.RecordSkipped();
            return default;
        }
        finally
        {
            context.Reported = Report(context);
        }
    }

    /// <summary>Tells the operator of a failure that happened outside <see cref="ExecuteAsync{T}"/> (a record the
    /// task reports, a failed produce): reports it and returns the report's task, or throws ConnectException when
    /// the failure is not tolerated (after reporting it, as Connect does).</summary>
    public Task ExecuteFailed(ProcessingContext context, Stage stage, string executingClass, Exception error)
    {
        Metrics.RecordFailure();
        MarkAsFailed();
        context.CurrentContext(stage, executingClass);
        context.Error = error;
        context.Reported = Report(context);
        if (!WithinToleranceLimits())
            throw new ConnectException("Tolerance exceeded in error handler", error);
        Metrics.RecordSkipped();
        return context.Reported;
    }

    /// <summary>Waits until every report made so far is durable. Throws ConnectException when one failed (the
    /// caller must then not commit past the records: they were neither processed nor reported).</summary>
    public async Task AwaitReportsAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        List<Task> pending;
        lock (_gate)
        {
            pending = [.. _pendingReports];
            _pendingReports.Clear();
        }
        if (pending.Count == 0) return;
        foreach (var reporter in _reporters) await reporter.FlushAsync(timeout);
        try
        {
            await Task.WhenAll(pending).WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new ConnectException($"Failed records were not reported within {timeout.TotalMilliseconds} ms", e);
        }
        catch (Exception e) when (e is not ConnectException and not OperationCanceledException)
        {
            throw new ConnectException("Encountered an error while awaiting an errant record's report", e);
        }
    }

    public bool WithinToleranceLimits() =>
        _config.Tolerance == ToleranceType.All || Interlocked.Read(ref _totalFailures) == 0;

    private void MarkAsFailed()
    {
        Interlocked.Increment(ref _totalFailures);
        Metrics.RecordError(_time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    private Task Report(ProcessingContext context)
    {
        if (_reporters.Count == 0) return Task.CompletedTask;
        var reports = new List<Task>(_reporters.Count);
        foreach (var reporter in _reporters)
        {
            Task report;
            try { report = reporter.ReportAsync(context); }
            catch (Exception e) { report = Task.FromException(e); }
            CountReport(reporter, report, context);
            if (!report.IsCompletedSuccessfully) reports.Add(report);
        }
        if (reports.Count == 0) return Task.CompletedTask;
        var all = reports.Count == 1 ? reports[0] : Task.WhenAll(reports);
        lock (_gate)
        {
            _pendingReports.RemoveAll(t => t.IsCompletedSuccessfully);
            _pendingReports.Add(all);
        }
        return all;
    }

    private void CountReport(IErrorReporter reporter, Task report, ProcessingContext context)
    {
        var metrics = Metrics;
        switch (reporter)
        {
            case DeadLetterQueueReporter:
                metrics.RecordDeadLetterQueueRequest();
                if (report.IsFaulted) metrics.RecordDeadLetterQueueFailure();
                else if (!report.IsCompleted)
                    _ = report.ContinueWith(static (t, m) => ((Metrics.TaskMetrics)m!).RecordDeadLetterQueueFailure(), metrics,
                        CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                break;
            case LogReporter when _config.LogEnable && context.Error is not null:
                metrics.RecordErrorLogged();
                break;
        }
    }

    private static bool IsRetriable(Exception error) => error is RetriableException or KafkaRetriableException;

    // Connect: TRANSFORMATION and the three converter stages tolerate every exception, the others retriable ones.
    private static bool Tolerates(Stage stage, Exception error) =>
        stage is Stage.Transformation or Stage.KeyConverter or Stage.ValueConverter or Stage.HeaderConverter || IsRetriable(error);

    private async Task BackoffAsync(int attempt, long deadline, CancellationToken cancellationToken)
    {
        // 300 ms doubling per attempt; the shift is bounded so that a long retry never overflows.
        var delay = RetriesDelayMinMs << Math.Min(attempt - 1, 32);
        if (delay > _config.RetryMaxDelayMs)
            delay = _config.RetryMaxDelayMs > 0 ? Random.Shared.NextInt64(_config.RetryMaxDelayMs) : 0;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (deadline != long.MaxValue && delay + now > deadline)
            delay = Math.Max(0, deadline - now);
        if (delay > 0) await Task.Delay(TimeSpan.FromMilliseconds(delay), _time, cancellationToken);
    }

    /// <summary>The Connect class name of a plugin instance (its [PluginName], else its C# name with '$' for
    /// nested types), as the executing class of a stage.</summary>
    public static string ClassNameOf(object plugin)
    {
        var type = plugin.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return definition.GetCustomAttribute<PluginNameAttribute>()?.ClassName
            ?? (definition.FullName ?? definition.Name).Replace('+', '$');
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reporter in _reporters)
        {
            try { await reporter.DisposeAsync(); }
            catch (Exception) { /* one reporter's close failing must not keep the others open */ }
        }
    }
}
