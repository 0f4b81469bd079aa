using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces.Errors;
using Polly;
using Polly.Retry;

namespace OrleansConnect.Silo.GrainStorage;

/// <summary>Runs one storage operation (a grain-state read, write or clear, a reminder-table call) with retries for
/// transient failures, and turns what still fails into a <see cref="StorageFailedException"/>.
/// <list type="bullet">
/// <item>Only failures <see cref="StorageFailures.IsTransient"/> calls transient are retried; an etag conflict
/// (InconsistentStateException) or a SQL error never is.</item>
/// <item>Backoff doubles from <see cref="ConnectStorageOptions.RetryFirstDelay"/> up to
/// <see cref="ConnectStorageOptions.RetryMaxDelay"/>, with jitter so that many grains failing together do not retry
/// together, and is clipped so that the last attempt starts within <see cref="ConnectStorageOptions.RetryBudget"/> of the
/// first. That keeps a failing call well inside Orleans' 30 s response timeout: Orleans' ADO.NET providers take no
/// cancellation, so an attempt in flight is never abandoned (a write that went out may still commit).</item>
/// <item>One Warning per operation that failed at least once, with structured fields, whether it recovered or not; each
/// retry is logged at Debug only.</item>
/// </list></summary>
internal sealed partial class StorageRetry
{
    private static readonly ResiliencePropertyKey<Attempts> AttemptsKey = new("oc.storage.attempts");

    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;
    private readonly string _storage;
    private readonly IReadOnlyCollection<string> _secrets;
    private readonly TimeSpan _budget;
    private readonly TimeSpan _firstDelay;
    private readonly TimeSpan _maxDelay;

    public StorageRetry(ConnectStorageOptions options, ILogger<StorageRetry> logger)
    {
        _logger = logger;
        _storage = StorageFailures.Name(options.Vendor);
        _secrets = StorageFailures.Secrets(options.ConnectionString);
        _budget = options.RetryBudget;
        _firstDelay = options.RetryFirstDelay > TimeSpan.Zero ? options.RetryFirstDelay : TimeSpan.FromMilliseconds(1);
        _maxDelay = options.RetryMaxDelay >= _firstDelay ? options.RetryMaxDelay : _firstDelay;
        _pipeline = _budget <= TimeSpan.Zero
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && StorageFailures.IsTransient(e)
                    && Stopwatch.GetElapsedTime(args.Context.Properties.GetValue(AttemptsKey, null!).Started) < _budget),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(NextDelay(args.AttemptNumber, args.Context.Properties.GetValue(AttemptsKey, null!))),
                // The budget, not a count, ends the retries.
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    var attempts = args.Context.Properties.GetValue(AttemptsKey, null!);
                    attempts.Failures++;
                    attempts.Last = args.Outcome.Exception;
                    if (_logger.IsEnabled(LogLevel.Debug))
                        LogRetrying(_storage, attempts.Operation, args.AttemptNumber + 1, Reason(args.Outcome.Exception!), (long)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            }).Build();
    }

    /// <summary>What one execution went through, shared with the operation (a write that meets an etag conflict after a
    /// failed attempt checks whether that attempt landed after all).</summary>
    public sealed class Attempts(string operation)
    {
        public string Operation { get; } = operation;
        public long Started { get; } = Stopwatch.GetTimestamp();

        /// <summary>Attempts that failed transiently and were retried.</summary>
        public int Failures { get; set; }

        public Exception? Last { get; set; }
    }

    public async Task ExecuteAsync<TState>(string operation, TState state, Func<TState, Attempts, CancellationToken, Task> action,
        CancellationToken cancellationToken)
    {
        await ExecuteAsync(operation, (state, action), static async (s, attempts, ct) =>
        {
            await s.action(s.state, attempts, ct);
            return true;
        }, cancellationToken);
    }

    public async Task<T> ExecuteAsync<T, TState>(string operation, TState state, Func<TState, Attempts, CancellationToken, Task<T>> action,
        CancellationToken cancellationToken)
    {
        var attempts = new Attempts(operation);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(AttemptsKey, attempts);
        try
        {
            var result = await _pipeline.ExecuteAsync(
                static (ctx, s) => new ValueTask<T>(s.action(s.state, s.attempts, ctx.CancellationToken)),
                context, (action, state, attempts));
            if (attempts.Failures > 0)
                LogRecovered(_storage, operation, attempts.Failures + 1, ElapsedMs(attempts), Reason(attempts.Last!));
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (StorageFailures.IsStorageError(e))
        {
            var reason = Reason(e);
            var transient = StorageFailures.IsTransient(e);
            LogFailed(Loggable(e), _storage, operation, attempts.Failures + 1, ElapsedMs(attempts), reason);
            var retried = attempts.Failures > 0
                ? $"; gave up after {attempts.Failures + 1} attempts in {ElapsedMs(attempts) / 1000.0:0.0} s"
                : "";
            throw new StorageFailedException($"{_storage} storage: could not {operation} ({reason}{retried}).",
                _storage, operation, StorageFailures.Code(e), transient);
        }
        catch (Exception e) when (attempts.Failures > 0)
        {
            // Retried, then ended with something that is not the storage's (an etag conflict, say): still one line.
            LogFailed(Loggable(e), _storage, operation, attempts.Failures + 1, ElapsedMs(attempts), StorageFailures.Redact(e.Message, _secrets));
            throw;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private TimeSpan NextDelay(int attemptNumber, Attempts attempts)
    {
        // Exponential from the first delay, capped, with "equal jitter" (half fixed, half random): spread out, but never
        // retrying at once.
        var exponential = _firstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attemptNumber, 30));
        var capped = Math.Min(exponential, _maxDelay.TotalMilliseconds);
        var jittered = capped / 2 + Random.Shared.NextDouble() * capped / 2;
        var left = (_budget - Stopwatch.GetElapsedTime(attempts.Started)).TotalMilliseconds;
        return TimeSpan.FromMilliseconds(Math.Max(0, Math.Min(jittered, left)));
    }

    private string Reason(Exception e) => StorageFailures.Reason(e, _secrets);

    // The exception's own text goes into the log line too (its stack says where it failed), unless it shows a secret.
    private Exception? Loggable(Exception e) =>
        _secrets.Count > 0 && _secrets.Any(s => e.ToString().Contains(s, StringComparison.Ordinal)) ? null : e;

    private static long ElapsedMs(Attempts attempts) => (long)Stopwatch.GetElapsedTime(attempts.Started).TotalMilliseconds;

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "{Storage} storage: could not {Operation} (attempt {Attempt}: {Reason}); retrying in {DelayMs} ms")]
    private partial void LogRetrying(string storage, string operation, int attempt, string reason, long delayMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Storage} storage: managed to {Operation} after {Attempts} attempts in {ElapsedMs} ms (last transient failure: {Reason})")]
    private partial void LogRecovered(string storage, string operation, int attempts, long elapsedMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Storage} storage: could not {Operation} after {Attempts} attempts in {ElapsedMs} ms: {Reason}")]
    private partial void LogFailed(Exception? exception, string storage, string operation, int attempts, long elapsedMs, string reason);
}
