using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Offsets;

namespace OrleansConnect.Grains.Worker;

/// <summary>What every connector and task on this silo shares: the worker config, the Kafka cluster it
/// talks to, the plugins, the offset store, the producers. One per silo, created by the Silo host.</summary>
public sealed class ConnectWorker(
    WorkerConfig config,
    string bootstrapServers,
    EmbeddedKafkaBroker? embeddedBroker,
    PluginRegistry plugins,
    KafkaOffsetBackingStore offsetStore,
    TopicAdmin topicAdmin,
    ILoggerFactory loggerFactory,
    string workerId) : IAsyncDisposable
{
    public WorkerConfig Config { get; } = config;
    public string BootstrapServers { get; } = bootstrapServers;
    public EmbeddedKafkaBroker? EmbeddedBroker { get; } = embeddedBroker;
    public PluginRegistry Plugins { get; } = plugins;
    public KafkaOffsetBackingStore OffsetStore { get; } = offsetStore;
    public TopicAdmin TopicAdmin { get; } = topicAdmin;
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    /// <summary>The producers source tasks and dead letter queues send with, one per distinct config.</summary>
    public SharedProducers Producers { get; } = new(loggerFactory.CreateLogger<SharedProducers>());

    private readonly TaskCompletionSource _apiStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the REST API listens. Connectors and tasks start only after it, so an operator can always
    /// reach a silo to pause or delete what keeps it from working, however many tasks it would start.</summary>
    public Task ApiStarted => _apiStarted.Task;

    public void MarkApiStarted() => _apiStarted.TrySetResult();

    /// <summary>The task loops this silo may run (tasks.max.per.silo).</summary>
    public TaskSlots TaskSlots { get; } = config.Get(WorkerConfig.TasksMaxPerSilo) is int perSilo ? new(perSilo) : TaskSlots.Default();

    /// <summary>This silo's advertised REST host:port, shown as worker_id.</summary>
    public string WorkerId { get; } = workerId;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _consumerGroups = new(StringComparer.Ordinal);

    /// <summary>Sink consumer groups this silo has used (the embedded broker's snapshot keeps their offsets).</summary>
    public IReadOnlyCollection<string> ConsumerGroups => _consumerGroups.Keys.ToList();

    public void RegisterConsumerGroup(string groupId) => _consumerGroups.TryAdd(groupId, 0);

    public TimeSpan OffsetFlushInterval => TimeSpan.FromMilliseconds(Config.GetLong(WorkerConfig.OffsetFlushInterval));
    public TimeSpan OffsetFlushTimeout => TimeSpan.FromMilliseconds(Config.GetLong(WorkerConfig.OffsetFlushTimeout));
    public TimeSpan GracefulShutdownTimeout => TimeSpan.FromMilliseconds(Config.GetLong(WorkerConfig.TaskShutdownGracefulTimeout));

    private long _shutdownDeadline; // Environment.TickCount64 in ms; 0 while the silo is not stopping

    /// <summary>The silo is stopping: from now on every task's stop shares one deadline, task.shutdown.graceful.timeout.ms
    /// from this call (Kafka's meaning: the total for all tasks, not each), so a task that does not stop cannot hold
    /// the silo past a container's grace period.</summary>
    public void BeginShutdown() =>
        Interlocked.CompareExchange(ref _shutdownDeadline, Environment.TickCount64 + (long)GracefulShutdownTimeout.TotalMilliseconds, 0);

    /// <summary>How long a stopping task may take to flush, commit and stop: the graceful timeout plus the offset flush
    /// timeout, or what is left of the silo's shutdown deadline once it stops.</summary>
    public TimeSpan TaskStopTimeout
    {
        get
        {
            var own = GracefulShutdownTimeout + OffsetFlushTimeout;
            var deadline = Interlocked.Read(ref _shutdownDeadline);
            if (deadline == 0) return own;
            var left = TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            return left < own ? left : own;
        }
    }

    /// <summary>Closes the producers of tasks that did not stop in time (the others were returned already).</summary>
    public ValueTask DisposeAsync() => Producers.DisposeAsync();
}
