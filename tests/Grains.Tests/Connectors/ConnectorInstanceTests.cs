using Microsoft.Extensions.Logging.Abstractions;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Connectors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Tests.Connectors;

public sealed class ConnectorInstanceTests
{
    private static readonly PluginRegistry Plugins = new([typeof(ScriptedSourceConnector).Assembly]);

    private sealed class NoOffsets : IOffsetStorageReader
    {
        public IReadOnlyDictionary<string, object?>? Offset(IReadOnlyDictionary<string, object?> partition) => null;
        public IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?> Offsets(
            IEnumerable<IReadOnlyDictionary<string, object?>> partitions) => partitions.ToDictionary(p => p, _ => (IReadOnlyDictionary<string, object?>?)null);
    }

    private int _reconfigurations;
    private readonly ConnectorInstance _instance;

    public ConnectorInstanceTests()
    {
        _instance = new ConnectorInstance("c", Plugins, () => new ConnectorInstance.Context(_instance!, () =>
        {
            Interlocked.Increment(ref _reconfigurations);
            return Task.CompletedTask;
        }, new NoOffsets()), NullLogger.Instance);
    }

    private static Dictionary<string, string> Config(string type) => new() { ["connector.class"] = type, ["name"] = "c" };

    [Fact]
    public async Task A_started_instance_has_its_resolved_config_and_a_context()
    {
        var config = Config(nameof(ScriptedSourceConnector));
        Assert.True(await _instance.StartAsync(config, CancellationToken.None));
        var connector = Assert.IsType<ScriptedSourceConnector>(_instance.Connector);
        Assert.Same(config, connector.StartedWith);
        Assert.Same(config, _instance.ResolvedConfig);
        connector.ContextSeen.RequestTaskReconfiguration();
        Assert.Equal(1, _reconfigurations);
        Assert.IsAssignableFrom<ISourceConnectorContext>(connector.ContextSeen);
    }

    [Fact]
    public async Task An_unknown_class_or_a_throwing_start_fails_with_the_trace()
    {
        Assert.False(await _instance.StartAsync(Config("com.example.Missing"), CancellationToken.None));
        var (state, trace) = _instance.Status;
        Assert.Equal(States.Failed, state);
        Assert.Contains("Failed to find any class that implements Connector and which name matches com.example.Missing", trace);
        Assert.False(_instance.IsRunning);

        Assert.False(await _instance.StartAsync(Config(nameof(FailingStartConnector)), CancellationToken.None));
        Assert.Contains("cannot reach the source system", _instance.Status.Trace);
    }

    [Fact]
    public async Task A_good_start_clears_the_last_trace()
    {
        await _instance.StartAsync(Config(nameof(FailingStartConnector)), CancellationToken.None);
        Assert.True(await _instance.StartAsync(Config(nameof(ScriptedSourceConnector)), CancellationToken.None));
        Assert.Null(_instance.Status.Trace);
    }

    [Fact]
    public async Task Raise_error_from_another_thread_fails_the_connector()
    {
        await _instance.StartAsync(Config(nameof(ScriptedSourceConnector)), CancellationToken.None);
        _instance.SetState(States.Running);
        var context = ((ScriptedSourceConnector)_instance.Connector!).ContextSeen;
        await Task.Run(() => context.RaiseError(new InvalidOperationException("lost the connection")));
        var (state, trace) = _instance.Status;
        Assert.Equal(States.Failed, state);
        Assert.Contains("lost the connection", trace);
    }

    [Fact]
    public async Task Stop_stops_the_plugin_once_and_a_failing_stop_is_not_thrown()
    {
        await _instance.StartAsync(Config(nameof(FailingStopConnector)), CancellationToken.None);
        var connector = (ScriptedSourceConnector)_instance.Connector!;
        await _instance.StopAsync(CancellationToken.None);
        await _instance.StopAsync(CancellationToken.None);
        Assert.Equal(1, connector.Stops);
        Assert.False(_instance.IsRunning);
        Assert.Null(_instance.ResolvedConfig);
        Assert.Equal(States.Unassigned, _instance.Status.State);
    }
}
