using System.Diagnostics;
using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Grains.Errors;
using OrleansConnect.Plugins.Storage;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>The retry and tolerance rules of errors.* in process (no silo): what is retried, for how long, what is
/// tolerated, what fails the task, and what the reporters are told.</summary>
public sealed class RetryWithToleranceOperatorTests
{
    private const string Converter = "org.apache.kafka.connect.json.JsonConverter";

    private sealed class RecordingReporter : IErrorReporter
    {
        public List<(Stage Stage, string? Class, Exception? Error, ConsumerRecord? Record)> Reports { get; } = [];

        public Task ReportAsync(ProcessingContext context)
        {
            Reports.Add((context.Stage, context.ExecutingClass, context.Error, context.ConsumerRecord));
            return Task.CompletedTask;
        }

        public Task FlushAsync(TimeSpan timeout) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static ErrorHandlingConfig Config(ToleranceType tolerance, long retryTimeoutMs = 0, long maxDelayMs = 60_000) =>
        ErrorHandlingConfig.Default with { Tolerance = tolerance, RetryTimeoutMs = retryTimeoutMs, RetryMaxDelayMs = maxDelayMs };

    private static ConsumerRecord Consumed(long offset = 7) =>
        new("in", 0, offset, 1000, TimestampType.CreateTime, null, Encoding.UTF8.GetBytes("raw"), []);

    [Fact]
    public async Task A_retriable_failure_is_retried_until_the_operation_succeeds()
    {
        var op = new RetryWithToleranceOperator(Config(ToleranceType.None, retryTimeoutMs: 10_000, maxDelayMs: 1), []);
        var context = new ProcessingContext(Consumed());
        var calls = 0;

        var result = await op.ExecuteAsync(context, () => ++calls < 4 ? throw new RetriableException("not yet") : "done",
            Stage.ValueConverter, Converter, CancellationToken.None);

        Assert.Equal("done", result);
        Assert.Equal(4, calls);
        Assert.Equal(4, context.Attempt);
        Assert.False(context.Failed);
    }

    [Fact]
    public async Task Retries_stop_at_the_retry_timeout_and_the_failure_is_then_tolerated_or_fatal()
    {
        var reporter = new RecordingReporter();
        var tolerant = new RetryWithToleranceOperator(Config(ToleranceType.All, retryTimeoutMs: 300, maxDelayMs: 20), [reporter]);
        var context = new ProcessingContext(Consumed());
        var calls = 0;
        var watch = Stopwatch.StartNew();

        var result = await tolerant.ExecuteAsync<string>(context, () => { calls++; throw new RetriableException("still down"); },
            Stage.Transformation, "t.Class", CancellationToken.None);

        Assert.Null(result);
        Assert.True(context.Failed);
        Assert.True(calls > 2, $"{calls} attempts");
        Assert.True(watch.ElapsedMilliseconds >= 250, $"gave up after {watch.ElapsedMilliseconds} ms");
        Assert.IsType<RetriableException>(Assert.Single(reporter.Reports).Error);

        // Tolerance none: running out of retries fails the task (Kafka would skip the record silently).
        var strict = new RetryWithToleranceOperator(Config(ToleranceType.None, retryTimeoutMs: 50, maxDelayMs: 5), []);
        var error = await Assert.ThrowsAsync<ConnectException>(async () =>
            await strict.ExecuteAsync<string>(new ProcessingContext(Consumed()), () => throw new RetriableException("down"),
                Stage.KeyConverter, Converter, CancellationToken.None));
        Assert.Equal("Tolerance exceeded in error handler", error.Message);
    }

    [Fact]
    public async Task Without_a_retry_timeout_a_retriable_failure_is_not_retried()
    {
        var op = new RetryWithToleranceOperator(Config(ToleranceType.All), []);
        var calls = 0;

        await op.ExecuteAsync<string>(new ProcessingContext(Consumed()), () => { calls++; throw new RetriableException("x"); },
            Stage.ValueConverter, Converter, CancellationToken.None);

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task With_tolerance_all_a_failed_record_is_reported_and_skipped_and_later_stages_do_not_run()
    {
        var reporter = new RecordingReporter();
        var op = new RetryWithToleranceOperator(Config(ToleranceType.All), [reporter]);
        var context = new ProcessingContext(Consumed(offset: 42));
        var laterRan = false;

        var value = await op.ExecuteAsync<string>(context, () => throw new DataException("bad bytes"), Stage.ValueConverter, Converter, CancellationToken.None);
        var later = await op.ExecuteAsync(context, () => { laterRan = true; return "x"; }, Stage.Transformation, "t.Class", CancellationToken.None);

        Assert.Null(value);
        Assert.Null(later);
        Assert.False(laterRan);
        var report = Assert.Single(reporter.Reports);
        Assert.Equal(Stage.ValueConverter, report.Stage);
        Assert.Equal(Converter, report.Class);
        Assert.Equal("bad bytes", report.Error!.Message);
        Assert.Equal(42, report.Record!.Offset);
        // The record goes on being processed normally after the failure: the operator keeps tolerating.
        Assert.True(op.WithinToleranceLimits());
    }

    [Fact]
    public async Task With_tolerance_none_the_first_failure_is_reported_then_fails_the_task()
    {
        var reporter = new RecordingReporter();
        var op = new RetryWithToleranceOperator(Config(ToleranceType.None), [reporter]);

        var error = await Assert.ThrowsAsync<ConnectException>(async () =>
            await op.ExecuteAsync<string>(new ProcessingContext(Consumed()), () => throw new DataException("bad"), Stage.Transformation, "t.Class", CancellationToken.None));

        Assert.Equal("Tolerance exceeded in error handler", error.Message);
        Assert.IsType<DataException>(error.InnerException);
        Assert.Single(reporter.Reports);
    }

    [Fact]
    public async Task Outside_converters_and_transformations_only_retriable_failures_are_tolerated()
    {
        var op = new RetryWithToleranceOperator(Config(ToleranceType.All), []);

        var error = await Assert.ThrowsAsync<ConnectException>(async () =>
            await op.ExecuteAsync<string>(new ProcessingContext(Consumed()), () => throw new InvalidOperationException("boom"),
                Stage.KafkaProduce, RetryWithToleranceOperator.SourceTaskClass, CancellationToken.None));

        Assert.Equal("Unhandled exception in error handler", error.Message);
    }

    [Fact]
    public async Task A_stop_during_a_retry_wait_ends_the_operation_without_marking_the_record_processed()
    {
        var op = new RetryWithToleranceOperator(Config(ToleranceType.All, retryTimeoutMs: -1, maxDelayMs: 60_000), []);
        var context = new ProcessingContext(Consumed());
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await op.ExecuteAsync<string>(context, () => throw new RetriableException("forever"), Stage.ValueConverter, Converter, stop.Token));

        Assert.False(context.Failed);
    }

    [Fact]
    public async Task The_errant_record_reporter_reports_what_was_consumed_or_converts_a_record_the_task_made()
    {
        var reporter = new RecordingReporter();
        var op = new RetryWithToleranceOperator(Config(ToleranceType.All), [reporter]);
        var converter = new StringConverter();
        converter.Configure(new Dictionary<string, string?>(), isKey: false);
        var errant = new WorkerErrantRecordReporter(op, converter, converter, converter);
        var consumed = Consumed(offset: 5);
        var delivered = new SinkRecord("in", 0, null, null, Schema.StringSchema, "raw", 5);
        errant.Remember(delivered, consumed);

        await errant.ReportAsync(delivered, new InvalidOperationException("cannot write"), CancellationToken.None);
        await errant.ReportAsync(new SinkRecord("other", 3, null, null, Schema.StringSchema, "made", 9), new InvalidOperationException("no"), CancellationToken.None);

        Assert.Equal(2, reporter.Reports.Count);
        Assert.Same(consumed, reporter.Reports[0].Record);
        Assert.Equal(Stage.TaskPut, reporter.Reports[0].Stage);
        Assert.Equal("org.apache.kafka.connect.sink.SinkTask", reporter.Reports[0].Class);
        var converted = reporter.Reports[1].Record!;
        Assert.Equal(("other", 3, 9L), (converted.Topic, converted.Partition, converted.Offset));
        Assert.Equal("made", Encoding.UTF8.GetString(converted.Value!));

        // Tolerance none: the report is made, then the task is failed through the exception.
        var strict = new WorkerErrantRecordReporter(new RetryWithToleranceOperator(Config(ToleranceType.None), [reporter]), converter, converter, converter);
        Assert.Throws<ConnectException>(() => { _ = strict.ReportAsync(delivered, new InvalidOperationException("x"), CancellationToken.None); });
        Assert.Equal(3, reporter.Reports.Count);
    }

    [Theory]
    [InlineData("", false, false)]
    [InlineData("dlq", false, true)]
    [InlineData("", true, true)]
    public void A_sink_task_gets_an_errant_record_reporter_when_a_dead_letter_queue_is_set_or_errors_are_logged(string dlq, bool log, bool expected)
    {
        var config = ErrorHandlingConfig.From(new Dictionary<string, string>
        {
            ["errors.tolerance"] = "ALL",
            ["errors.deadletterqueue.topic.name"] = dlq,
            ["errors.log.enable"] = log ? "True" : "false",
        });

        Assert.Equal(ToleranceType.All, config.Tolerance);
        Assert.Equal(expected, config.EnablesErrantRecordReporter);
    }

    [Theory]
    [InlineData("errors.tolerance", "some")]
    [InlineData("errors.retry.timeout", "soon")]
    [InlineData("errors.log.enable", "yes")]
    [InlineData("errors.deadletterqueue.topic.replication.factor", "70000")]
    public void An_invalid_errors_setting_is_a_config_error_naming_the_key(string key, string value)
    {
        var error = Assert.Throws<OrleansConnect.Connect.Config.ConfigException>(() =>
            ErrorHandlingConfig.From(new Dictionary<string, string> { [key] = value }));
        Assert.Equal(key, error.Name);
    }
}
