using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Sink;

namespace OrleansConnect.TestPlugins;

/// <summary>A sink whose put refuses batches holding a marked record: it throws RetriableException (after
/// context.Timeout(flaky.timeout.ms) when that is set) for the first flaky.failures such puts, then takes them. It
/// appends every record it took to flaky.file, one value a line, and every put attempt to flaky.file + ".attempts"
/// ("ok|retriable|fatal &lt;unix ms&gt; &lt;values&gt;"), so a test sees what was delivered, how often and when.
/// flaky.fatal=true throws a plain ConnectException instead (the task fails).</summary>
public sealed class FlakySinkConnector : SinkConnector
{
    private static readonly ConfigDef Definition = new ConfigDef()
        .Define("flaky.file", ConfigType.String, ConfigDef.NoDefaultValue, null, Importance.High, "Where the records taken go.")
        .Define("flaky.marker", ConfigType.String, "fail", null, Importance.Medium, "A batch with a value containing this is refused.")
        .Define("flaky.failures", ConfigType.Int, 3, null, Importance.Medium, "How many puts of marked batches are refused.")
        .Define("flaky.timeout.ms", ConfigType.Long, -1L, null, Importance.Medium, "context.Timeout before each refusal; -1 sets none.")
        .Define("flaky.fatal", ConfigType.Boolean, false, null, Importance.Medium, "Refuse with a non-retriable ConnectException.");

    private Dictionary<string, string> _props = [];

    public override string Version => "1.0";
    public override ConfigDef Config => Definition;
    public override Type TaskClass => typeof(FlakySinkTask);

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _props = props.ToDictionary();
        return Task.CompletedTask;
    }

    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) => [_props.ToDictionary()];

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

public sealed class FlakySinkTask : SinkTask
{
    private string _file = "";
    private string _marker = "fail";
    private int _failuresLeft;
    private long _timeoutMs = -1;
    private bool _fatal;

    public override string Version => "1.0";

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _file = props["flaky.file"];
        _marker = props.GetValueOrDefault("flaky.marker", "fail");
        _failuresLeft = int.Parse(props.GetValueOrDefault("flaky.failures", "3"));
        _timeoutMs = long.Parse(props.GetValueOrDefault("flaky.timeout.ms", "-1"));
        _fatal = bool.Parse(props.GetValueOrDefault("flaky.fatal", "false"));
        return Task.CompletedTask;
    }

    public override async Task PutAsync(IReadOnlyCollection<SinkRecord> records, CancellationToken ct)
    {
        var values = records.Select(r => r.Value?.ToString() ?? "").ToList();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (_failuresLeft > 0 && values.Any(v => v.Contains(_marker, StringComparison.Ordinal)))
        {
            _failuresLeft--;
            await File.AppendAllTextAsync(_file + ".attempts", $"{(_fatal ? "fatal" : "retriable")} {now} {string.Join(',', values)}\n", ct);
            if (_fatal) throw new ConnectException("The flaky sink refuses this batch for good");
            if (_timeoutMs >= 0) Context.Timeout(_timeoutMs);
            throw new RetriableException($"The flaky sink refuses this batch ({_failuresLeft} more refusals to come)");
        }
        await File.AppendAllTextAsync(_file + ".attempts", $"ok {now} {string.Join(',', values)}\n", ct);
        if (values.Count > 0) await File.AppendAllLinesAsync(_file, values, ct);
    }

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
