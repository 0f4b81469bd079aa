using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Tests.Connectors;

/// <summary>A source connector whose task configs, start and stop the tests decide.</summary>
public class ScriptedSourceConnector : SourceConnector
{
    public Func<int, IReadOnlyList<IReadOnlyDictionary<string, string>>> Generate { get; set; } =
        max => Enumerable.Range(0, max).Select(i => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["task"] = i.ToString() }).ToList();

    protected virtual Exception? FailStartWith => null;
    protected virtual Exception? FailStopWith => null;

    public IConnectorContext ContextSeen => Context;
    public IReadOnlyDictionary<string, string>? StartedWith { get; private set; }
    public int Stops { get; private set; }

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        if (FailStartWith is { } e) throw e;
        StartedWith = props;
        return Task.CompletedTask;
    }

    public override Type TaskClass => typeof(ScriptedSourceTask);

    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) => Generate(maxTasks);

    public override Task StopAsync(CancellationToken ct)
    {
        Stops++;
        return FailStopWith is { } e ? Task.FromException(e) : Task.CompletedTask;
    }

    public override ConfigDef Config => new();

    public override string Version => "1.0";
}

/// <summary>Throws from its start, as a connector with a bad config does.</summary>
public sealed class FailingStartConnector : ScriptedSourceConnector
{
    protected override Exception? FailStartWith => new InvalidOperationException("cannot reach the source system");
}

/// <summary>Throws from its stop.</summary>
public sealed class FailingStopConnector : ScriptedSourceConnector
{
    protected override Exception? FailStopWith => new IOException("stop failed");
}

public sealed class ScriptedSourceTask : SourceTask
{
    public override string Version => "1.0";
    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct) => Task.CompletedTask;
    public override Task<IReadOnlyList<Connect.Source.SourceRecord>?> PollAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<Connect.Source.SourceRecord>?>(null);
    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>A sink whose task has a Connect class name of its own.</summary>
public sealed class NamedTaskSinkConnector : SinkConnector
{
    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct) => Task.CompletedTask;
    public override Type TaskClass => typeof(NamedSinkTask);
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        Enumerable.Range(0, maxTasks).Select(_ => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>()).ToList();
    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    public override ConfigDef Config => new();
    public override string Version => "1.0";

    [PluginName("com.example.NamedSinkTask")]
    public sealed class NamedSinkTask : SinkTask
    {
        public override string Version => "1.0";
        public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct) => Task.CompletedTask;
        public override Task PutAsync(IReadOnlyCollection<SinkRecord> records, CancellationToken ct) => Task.CompletedTask;
        public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
