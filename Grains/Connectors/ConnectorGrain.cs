using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Storage;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Connectors;

/// <summary>One per connector (key = name). Holds the config, target state and task configs as grain state,
/// runs the connector instance, and drives its TaskGrains to the target state: on every change, on activation
/// and on a durable reminder. FAILED tasks are restarted with exponential backoff.</summary>
public sealed class ConnectorGrain(
    [PersistentState("connector")] IPersistentState<ConnectorGrainState> state,
    ConnectWorker worker,
    ConnectorConfigValidator validator,
    Metrics.ConnectMetrics metrics,
    Cluster.LocalStatuses localStatuses,
    ConnectorSecrets secrets,
    ILogger<ConnectorGrain> logger) : Grain, IConnectorGrain, IRemindable
{
    private const string ReconcileReminder = "reconcile";
    private readonly ILogger _logger = logger;
    private Connector? _connector;
    // The config the running connector instance was started with, references resolved (never stored).
    private Dictionary<string, string>? _resolvedConfig;
    private string _connectorState = States.Unassigned;
    private string? _connectorTrace;
    private readonly Dictionary<int, RestartBackoff> _backoff = [];
    private readonly Dictionary<int, IDisposable> _restartTimers = [];
    private bool _isSink;
    private bool _reminderRegistered;
    private IDisposable? _tracked;
    private string _connectorClass = "";
    // What this silo's status listing reads from outside the grain's turns (Cluster.LocalStatuses).
    private IDisposable? _listed;
    private volatile Dictionary<int, string> _restartPlans = [];
    // The masked info (config, task ids, type) as of the last change, for listings read outside the turns.
    private volatile ConnectorInfo? _info;

    private string Name => this.GetPrimaryKeyString();
    private ConnectorGrainState S => state.State;
    private bool Exists => state.RecordExists && S.Config is not null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!Exists) return;
        Track();
        // Kept for as long as it exists: its reminder would activate it again within a period anyway, and the status
        // listing reads it in place (an activation costs memory, not calls).
        DelayDeactivation(TimeSpan.MaxValue);
        await RewriteSecretsIfNeededAsync();
        // Heals a create whose registry write failed after its own: listing it again is a no-op otherwise.
        await Registry.Add(Name);
        await worker.ApiStarted.WaitAsync(cancellationToken);
        await ReconcileAsync(cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        foreach (var timer in _restartTimers.Values) timer.Dispose();
        await StopConnectorInstanceAsync();
        _tracked?.Dispose();
        _listed?.Dispose();
    }

    /// <summary>Connect's connector metrics (status, class, type) for this activation, read at each scrape. The scrape
    /// runs outside the grain's turns, where Orleans refuses access to grain state: it reads fields only.</summary>
    private void Track()
    {
        // Connect reports the class's full name, whichever alias the config used.
        var configured = S.Config?.GetValueOrDefault(ConnectorConfig.ConnectorClass) ?? "";
        _connectorClass = worker.Plugins.FindConnector(configured)?.ClassName ?? configured;
        _tracked ??= metrics.TrackConnector(Name, () => new Metrics.ConnectMetrics.ConnectorView(
            _connectorState, _connectorClass, _isSink ? "sink" : "source"));
        _info = Info();
        var name = Name;
        _listed ??= localStatuses.AddConnector(name, withInfo => _info is { } info
            ? new ConnectorStatusView(name, new ConnectorState(_connectorState, worker.WorkerId, _connectorTrace), info.Type,
                info.Tasks.Count, _restartPlans, withInfo ? info : null)
            : null);
    }

    public async Task<PutConfigResult> PutConfig(Dictionary<string, string> config, bool allowReplace, TargetState? initialState)
    {
        // "[hidden]" as a client read it back keeps the stored secret.
        config = secrets.RestoreHidden(config, Exists ? PlainConfig : null);
        var result = await validator.ValidateForStoreAsync(config.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
        if (Exists && !allowReplace)
        {
            // A create that stored its config and then failed (the registry or the reminder write) answered 5xx; the
            // client's retry lands here: complete it (both are no-ops when done), then answer 409 as for any existing one.
            await Registry.Add(Name);
            await EnsureReminderAsync();
            throw new AlreadyExistsException($"Connector {Name} already exists");
        }
        var created = !Exists;
        _isSink = result.IsSink;
        S.Config = secrets.Protect(config, secrets.SecretKeys(config));
        Track();
        if (created) S.TargetState = initialState ?? TargetState.Started;
        await state.WriteStateAsync();
        DelayDeactivation(TimeSpan.MaxValue);
        if (created)
        {
            await Registry.Add(Name);
            await EnsureReminderAsync();
        }
        logger.LogInformation("Connector {Connector} {Action} (target state {TargetState})", Name, created ? "created" : "reconfigured", S.TargetState);
        // A new config means a new connector instance and new task configs (none while STOPPED).
        await StopConnectorInstanceAsync();
        await ApplyTargetStateAsync(regenerateTasks: S.TargetState == TargetState.Started || S.TaskConfigs.Count > 0);
        return new PutConfigResult(Info(), created);
    }

    public async Task<ConnectorInfo> PatchConfig(Dictionary<string, string?> patch)
    {
        RequireExists($"Connector {Name} not found");
        var merged = PlainConfig;
        foreach (var (key, value) in patch)
        {
            if (value is null) merged.Remove(key);
            else merged[key] = value;
        }
        return (await PutConfig(merged, allowReplace: true, null)).Info;
    }

    public Task<ConnectorInfo> GetInfo()
    {
        RequireExists($"Connector {Name} not found");
        return Task.FromResult(Info());
    }

    Task<bool> IConnectorGrain.Exists() => Task.FromResult(Exists);

    public async Task Delete()
    {
        RequireExists($"Connector {Name} not found");
        var taskCount = S.TaskConfigs.Count;
        await StopConnectorInstanceAsync();
        await UnassignTasksAsync(0, taskCount);
        await state.ClearStateAsync();
        S.Config = null;
        SetTaskConfigs([]);
        S.ActiveTopics = [];
        S.SinkOffsetPartitions = [];
        await Registry.Remove(Name);
        if (await this.GetReminder(ReconcileReminder) is { } reminder) await this.UnregisterReminder(reminder);
        _reminderRegistered = false;
        logger.LogInformation("Connector {Connector} deleted", Name);
        _tracked?.Dispose();
        _tracked = null;
        _listed?.Dispose();
        _listed = null;
        _connectorState = States.Unassigned;
        _connectorTrace = null;
        _backoff.Clear();
        PublishRestartPlans();
        // Left to idle collection rather than deactivated now: calls already queued behind this one (a PUT racing the
        // DELETE) would otherwise be forwarded to a new activation, and Orleans rejects them ("Forwarding failed") when
        // the old one has not finished deactivating. Here they run next and see a deleted connector.
        DelayDeactivation(TimeSpan.Zero);
    }

    public async Task Pause()
    {
        RequireExists($"Unknown connector {Name}");
        if (S.TargetState == TargetState.Paused) return;
        S.TargetState = TargetState.Paused;
        await state.WriteStateAsync();
        await ApplyTargetStateAsync(regenerateTasks: false);
    }

    public async Task Resume()
    {
        RequireExists($"Unknown connector {Name}");
        if (S.TargetState == TargetState.Started) return;
        var wasStopped = S.TargetState == TargetState.Stopped || S.TaskConfigs.Count == 0;
        S.TargetState = TargetState.Started;
        await state.WriteStateAsync();
        await ApplyTargetStateAsync(regenerateTasks: wasStopped);
    }

    public async Task Stop()
    {
        RequireExists($"Unknown connector {Name}");
        var taskCount = S.TaskConfigs.Count;
        S.TargetState = TargetState.Stopped;
        SetTaskConfigs([]);
        S.Generation++;
        await state.WriteStateAsync();
        await UnassignTasksAsync(0, taskCount);
        await ApplyTargetStateAsync(regenerateTasks: false);
    }

    public async Task<ConnectorStateInfo> GetStatus()
    {
        RequireExists($"No status found for connector {Name}");
        var tasks = await Task.WhenAll(Enumerable.Range(0, S.TaskConfigs.Count).Select(TaskStatusAsync));
        return new ConnectorStateInfo(Name, new ConnectorState(_connectorState, worker.WorkerId, _connectorTrace), tasks.ToList(), TypeName);
    }

    public async Task<ConnectorMetricsInfo> GetMetrics()
    {
        RequireExists($"Connector {Name} not found");
        var tasks = await Task.WhenAll(Enumerable.Range(0, S.TaskConfigs.Count).Select(i => GrainFactory.GetGrain<ITaskGrain>(TaskKey(i)).GetMetrics()));
        return new ConnectorMetricsInfo(Name, TypeName, tasks.OfType<TaskMetricsInfo>().ToList());
    }

    public Task<List<TaskInfo>> GetTasks()
    {
        RequireExists($"Connector {Name} not found");
        var secretKeys = secrets.SecretKeys(S.Config!);
        return Task.FromResult(S.TaskConfigs.Select((config, i) => new TaskInfo(new ConnectorTaskId(Name, i), secrets.Mask(config, secretKeys))).ToList());
    }

    public async Task<ConnectorStateInfo?> Restart(bool includeTasks, bool onlyFailed)
    {
        RequireExists($"Unknown connector: {Name}");
        if (!includeTasks && !onlyFailed)
        {
            await RestartConnectorInstanceAsync();
            return null;
        }
        var status = await GetStatus();
        var restartConnector = !onlyFailed || status.Connector.State == States.Failed;
        var restartTasks = includeTasks
            ? status.Tasks.Where(t => !onlyFailed || t.State == States.Failed).Select(t => t.Id).ToHashSet()
            : [];
        var planned = new ConnectorStateInfo(
            status.Name,
            restartConnector ? status.Connector with { State = States.Restarting, Trace = null } : status.Connector,
            status.Tasks.Select(t => restartTasks.Contains(t.Id) ? t with { State = States.Restarting, Trace = null } : t).ToList(),
            status.Type);
        // The restart runs as the grain's next turn, after the 202 answer is on its way, as Connect does it asynchronously.
        IDisposable? timer = null;
        timer = this.RegisterGrainTimer(async _ =>
        {
            timer?.Dispose();
            if (!Exists) return;
            if (restartConnector) await RestartConnectorInstanceAsync();
            foreach (var id in restartTasks) await RestartTaskNowAsync(id);
        }, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        return planned;
    }

    public async Task RestartTask(int taskId)
    {
        RequireExists($"Unknown connector: {Name}");
        if (taskId < 0 || taskId >= S.TaskConfigs.Count) throw new NotFoundException($"Unknown task: {Name}-{taskId}");
        await RestartTaskNowAsync(taskId);
    }

    public async Task<TaskState> GetTaskStatus(int taskId)
    {
        if (!Exists || taskId < 0 || taskId >= S.TaskConfigs.Count) throw new NotFoundException($"No status found for task {Name}-{taskId}");
        return await TaskStatusAsync(taskId);
    }

    public async Task RequestTaskReconfiguration()
    {
        if (!Exists || S.TargetState == TargetState.Stopped || _connector is null) return;
        await ApplyTargetStateAsync(regenerateTasks: true);
    }

    public Task OnTaskFailed(int taskId, string trace)
    {
        if (!Exists || taskId >= S.TaskConfigs.Count) return Task.CompletedTask;
        // One restart per failure: a status read may have seen the failure before the task's own report arrived.
        if (_restartTimers.ContainsKey(taskId)) return Task.CompletedTask;
        var backoff = BackoffOf(taskId);
        var delay = backoff.OnFailure(trace, DateTimeOffset.UtcNow);
        PublishRestartPlans();
        logger.LogWarning("Task {Connector}-{Task} failed; automatic restart attempt {Attempt} in {Delay}", Name, taskId, backoff.Attempts, delay);
        _restartTimers[taskId] = this.RegisterGrainTimer(async _ =>
        {
            if (_restartTimers.Remove(taskId, out var self)) self.Dispose();
            if (!Exists || taskId >= S.TaskConfigs.Count || S.TargetState == TargetState.Stopped) return;
            var status = await GrainFactory.GetGrain<ITaskGrain>(TaskKey(taskId)).GetStatus();
            if (status.State != States.Failed) return;
            metrics.TaskRestarted(Name, taskId, backoff.Attempts);
            await RestartTaskNowAsync(taskId);
        }, delay, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public async Task<ConnectorOffsets> GetOffsets()
    {
        RequireExists($"Connector {Name} not found");
        var config = await ResolvedConfigAsync();
        return IsSinkConfig(config)
            ? await SinkOffsets(config).ReadAsync(config, S.SinkOffsetPartitions, CancellationToken.None)
            : await new SourceConnectorOffsets(worker.OffsetStore, Name, _logger).ReadAsync(CancellationToken.None);
    }

    public Task<string> AlterOffsets(ConnectorOffsets offsets) => ModifyOffsetsAsync(offsets.Offsets);

    public Task<string> ResetOffsets() => ModifyOffsetsAsync(null);

    /// <summary>Connect's KIP-875 alter (offsets given) or reset (null): the connector must exist and be STOPPED with
    /// no tasks; its alterOffsets hook sees the offsets first, on a fresh instance as in Connect.</summary>
    private async Task<string> ModifyOffsetsAsync(IReadOnlyList<ConnectorOffset>? offsets)
    {
        RequireExists($"Connector {Name} not found");
        if (S.TargetState != TargetState.Stopped || S.TaskConfigs.Count > 0) throw OffsetsMessages.NotStopped(Name);
        var config = await ResolvedConfigAsync();
        var desc = worker.Plugins.FindConnector(config[ConnectorConfig.ConnectorClass])
            ?? throw new ConnectRestException(500, $"Failed to find any class that implements Connector and which name matches {config[ConnectorConfig.ConnectorClass]}");
        switch (worker.Plugins.Instantiate<Connector>(desc))
        {
            case SinkConnector sink:
                var known = S.SinkOffsetPartitions.ToList();
                var message = await SinkOffsets(config).ModifyAsync(sink, config, offsets, known, CancellationToken.None);
                S.SinkOffsetPartitions = known;
                await state.WriteStateAsync();
                return message;
            case SourceConnector source:
                return await new SourceConnectorOffsets(worker.OffsetStore, Name, _logger).ModifyAsync(source, config, offsets, CancellationToken.None);
            default:
                throw new ConnectRestException(500, $"{desc.ClassName} is neither a source nor a sink connector");
        }
    }

    /// <summary>The sink's consumer group, with the client settings its tasks' consumers have.</summary>
    private SinkConnectorOffsets SinkOffsets(Dictionary<string, string> config)
    {
        try
        {
            var consumerConfig = WorkerSinkTask.ConsumerConfigOf(worker, Name, config, $"connector-offsets-{Name}");
            return new SinkConnectorOffsets(new ConsumerGroupOffsets(consumerConfig), Name, _logger);
        }
        catch (Connect.Errors.ConnectException e)
        {
            throw new ConnectRestException(500, e.Message);
        }
    }

    private bool IsSinkConfig(Dictionary<string, string> config) =>
        worker.Plugins.FindConnector(config.GetValueOrDefault(ConnectorConfig.ConnectorClass, "")) is { Type: PluginType.Sink };

    public async Task<List<string>> GetActiveTopics()
    {
        if (!worker.Config.GetBoolean(WorkerConfig.TopicTrackingEnable)) throw new ConnectRestException(403, "Topic tracking is disabled.");
        if (!Exists) return [];
        await CollectActiveTopicsAsync();
        return S.ActiveTopics.Order(StringComparer.Ordinal).ToList();
    }

    public async Task ResetActiveTopics()
    {
        if (!worker.Config.GetBoolean(WorkerConfig.TopicTrackingEnable)) throw new ConnectRestException(403, "Topic tracking is disabled.");
        if (!worker.Config.GetBoolean(WorkerConfig.TopicTrackingAllowReset)) throw new ConnectRestException(403, "Topic tracking reset is disabled.");
        if (!Exists) return;
        // The running tasks forget their topics too, so each topic comes back with its next record, as in Connect.
        await Task.WhenAll(Enumerable.Range(0, S.TaskConfigs.Count).Select(i => GrainFactory.GetGrain<ITaskGrain>(TaskKey(i)).ResetActiveTopics()));
        if (S.ActiveTopics.Count == 0) return;
        S.ActiveTopics = [];
        await state.WriteStateAsync();
        logger.LogInformation("Active topics of connector {Connector} reset", Name);
    }

    /// <summary>Adds the topics the running tasks report to the durable set (before tasks stop or restart, on reads
    /// and on every reconciliation, so a set survives restarts of the silo).</summary>
    private async Task CollectActiveTopicsAsync(int taskCount = 0)
    {
        taskCount = Math.Max(taskCount, S.TaskConfigs.Count);
        if (!Exists || taskCount == 0 || !worker.Config.GetBoolean(WorkerConfig.TopicTrackingEnable)) return;
        var reported = await Task.WhenAll(Enumerable.Range(0, taskCount).Select(i => GrainFactory.GetGrain<ITaskGrain>(TaskKey(i)).GetActiveTopics()));
        await AddActiveTopicsAsync(reported.SelectMany(t => t));
    }

    private async Task AddActiveTopicsAsync(IEnumerable<string> reported)
    {
        if (!Exists || !worker.Config.GetBoolean(WorkerConfig.TopicTrackingEnable)) return;
        var added = reported.Distinct(StringComparer.Ordinal).Where(t => !S.ActiveTopics.Contains(t)).ToList();
        if (added.Count == 0) return;
        S.ActiveTopics.AddRange(added);
        await state.WriteStateAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReconcileReminder) return;
        if (!Exists)
        {
            if (await this.GetReminder(ReconcileReminder) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        await ReconcileAsync(CancellationToken.None);
    }

    public async Task Reconcile()
    {
        if (Exists) await ReconcileAsync(CancellationToken.None);
    }

    /// <summary>The durable reconcile reminder, written once per activation (a reminder write per tick would cost a
    /// storage write every period for every connector).</summary>
    private async Task EnsureReminderAsync()
    {
        if (_reminderRegistered) return;
        await this.RegisterOrUpdateReminder(ReconcileReminder, ReconcileInterval, ReconcileInterval);
        _reminderRegistered = true;
    }

    /// <summary>Drives the connector and its tasks to the target state; cheap when already there.</summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureReminderAsync();
        await ApplyTargetStateAsync(regenerateTasks: S.TargetState == TargetState.Started && S.TaskConfigs.Count == 0);
    }

    private async Task ApplyTargetStateAsync(bool regenerateTasks)
    {
        var config = S.Config!;
        _isSink = worker.Plugins.FindConnector(config[ConnectorConfig.ConnectorClass]) is { Type: PluginType.Sink };
        if (S.TargetState == TargetState.Stopped)
        {
            await StopConnectorInstanceAsync();
            _connectorState = States.Stopped;
            _connectorTrace = null;
            return;
        }
        if (_connector is null && !await StartConnectorInstanceAsync()) return;
        _connectorState = S.TargetState == TargetState.Paused ? States.Paused : States.Running;
        if (regenerateTasks) await RegenerateTaskConfigsAsync();
        await AssignTasksAsync();
    }

    private async Task<bool> StartConnectorInstanceAsync()
    {
        try
        {
            var config = await ResolvedConfigAsync();
            var desc = worker.Plugins.FindConnector(config[ConnectorConfig.ConnectorClass])
                ?? throw new Connect.Errors.ConnectException($"Failed to find any class that implements Connector and which name matches {config[ConnectorConfig.ConnectorClass]}");
            var connector = worker.Plugins.Instantiate<Connector>(desc);
            connector.Initialize(new Context(this, worker, Name));
            await connector.StartAsync(config, CancellationToken.None);
            _connector = connector;
            _resolvedConfig = config;
            // A running connector instance may call back at any time: keep the activation.
            DelayDeactivation(TimeSpan.MaxValue);
            _connectorTrace = null;
            metrics.ConnectorStartup(succeeded: true);
            logger.LogInformation("Connector {Connector} started", Name);
            return true;
        }
        catch (Exception e)
        {
            _connectorState = States.Failed;
            _connectorTrace = e.ToString();
            metrics.ConnectorStartup(succeeded: false);
            logger.LogError(e, "Connector {Connector} failed to start", Name);
            return false;
        }
    }

    private async Task StopConnectorInstanceAsync()
    {
        var connector = _connector;
        _connector = null;
        _resolvedConfig = null;
        if (connector is null) return;
        try
        {
            await connector.StopAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Connector {Connector} failed to stop cleanly", Name);
        }
        _connectorState = States.Unassigned;
    }

    private async Task RestartConnectorInstanceAsync()
    {
        await StopConnectorInstanceAsync();
        _connectorState = States.Restarting;
        await ApplyTargetStateAsync(regenerateTasks: false);
    }

    private async Task RegenerateTaskConfigsAsync()
    {
        if (_connector is null) return;
        var config = S.Config!;
        List<Dictionary<string, string>> generated;
        try
        {
            var maxTasks = int.Parse(config.GetValueOrDefault(ConnectorConfig.TasksMax, "1").Trim());
            var configs = _connector.TaskConfigs(maxTasks);
            var enforce = !config.TryGetValue(ConnectorConfig.TasksMaxEnforce, out var e) || !bool.TryParse(e.Trim(), out var en) || en;
            if (enforce && configs.Count > maxTasks)
                throw new Connect.Errors.ConnectException($"Connector {Name} generated {configs.Count} tasks, more than tasks.max ({maxTasks}).");
            // Resolved references go back to their ${...} form (Kafka's reverse transform): tasks resolve them again.
            var plain = PlainConfig;
            generated = configs.Select(c => ConfigVariables.Unresolve(WithFrameworkKeys(c, config), plain, _resolvedConfig ?? plain)).ToList();
        }
        catch (Exception e)
        {
            _connectorState = States.Failed;
            _connectorTrace = e.ToString();
            logger.LogError(e, "Connector {Connector} failed to generate task configs", Name);
            return;
        }
        if (generated.Count == S.TaskConfigs.Count && generated.Zip(S.TaskConfigs).All(p => SameConfig(p.First, secrets.Reveal(p.Second))))
            return;
        var previousCount = S.TaskConfigs.Count;
        var secretKeys = secrets.SecretKeys(config);
        SetTaskConfigs(generated.Select(c => secrets.Protect(c, secretKeys)).ToList());
        S.Generation++;
        await state.WriteStateAsync();
        if (previousCount > generated.Count) await UnassignTasksAsync(generated.Count, previousCount);
        logger.LogInformation("Connector {Connector} has {TaskCount} task configs (generation {Generation})", Name, generated.Count, S.Generation);
    }

    private Dictionary<string, string> WithFrameworkKeys(IReadOnlyDictionary<string, string> taskConfig, Dictionary<string, string> connectorConfig)
    {
        var result = new Dictionary<string, string>(taskConfig) { ["task.class"] = TaskClassName(_connector!) };
        if (_isSink)
        {
            foreach (var key in new[] { ConnectorConfig.Topics, ConnectorConfig.TopicsRegex })
                if (connectorConfig.TryGetValue(key, out var value)) result[key] = value;
        }
        return result;
    }

    /// <summary>The task class as Connect names it in task configs: its [PluginName], else, for a connector known by a
    /// Kafka class name, the task's simple name in that package (FileStreamSinkTask is
    /// org.apache.kafka.connect.file.FileStreamSinkTask as in Kafka), else its .NET name.</summary>
    private string TaskClassName(Connector connector)
    {
        var taskType = connector.TaskClass;
        if (taskType.GetCustomAttributes(typeof(Connect.Plugins.PluginNameAttribute), inherit: false) is [Connect.Plugins.PluginNameAttribute named, ..])
            return named.ClassName;
        var connectorType = connector.GetType();
        var connectorName = S.Config is { } config && worker.Plugins.FindConnector(config[ConnectorConfig.ConnectorClass]) is { } desc ? desc.ClassName : null;
        if (connectorName is not null && taskType.Namespace == connectorType.Namespace && connectorName != connectorType.FullName
            && connectorName.EndsWith("." + connectorType.Name, StringComparison.Ordinal))
            return connectorName[..^connectorType.Name.Length] + taskType.Name;
        return taskType.FullName!.Replace('+', '$');
    }

    /// <summary>Assigns every task (a no-op for a task already running this generation): one call per task, whose
    /// answer brings its active topics and its status, so a reconcile also notices tasks that failed unwatched.</summary>
    private async Task AssignTasksAsync()
    {
        var reports = await Task.WhenAll(S.TaskConfigs.Select((config, i) =>
            GrainFactory.GetGrain<ITaskGrain>(TaskKey(i)).Assign(new TaskAssignment(S.Config!, config, S.TargetState, S.Generation))));
        await AddActiveTopicsAsync(reports.SelectMany(r => r.ActiveTopics));
        // Tasks that failed while nobody was watching (e.g. before this activation) get their backoff too.
        for (var i = 0; i < reports.Length; i++)
        {
            if (reports[i].Status.State == States.Failed && !_restartTimers.ContainsKey(i))
                await OnTaskFailed(i, reports[i].Status.Trace ?? "");
        }
    }

    private async Task UnassignTasksAsync(int from, int to)
    {
        await CollectActiveTopicsAsync(to);
        await Task.WhenAll(Enumerable.Range(from, Math.Max(0, to - from)).Select(i =>
        {
            if (_restartTimers.Remove(i, out var timer)) timer.Dispose();
            _backoff.Remove(i);
            return GrainFactory.GetGrain<ITaskGrain>(TaskKey(i)).Unassign();
        }));
        PublishRestartPlans();
        // With their backoff, the tasks' restart-attempt series go (stop, fewer tasks, delete).
        metrics.ForgetRestarts(Name, from);
    }

    private async Task RestartTaskNowAsync(int taskId)
    {
        if (_restartTimers.Remove(taskId, out var pending)) pending.Dispose();
        await CollectActiveTopicsAsync();
        BackoffOf(taskId).OnRestart(DateTimeOffset.UtcNow);
        PublishRestartPlans();
        var grain = GrainFactory.GetGrain<ITaskGrain>(TaskKey(taskId));
        await grain.Assign(new TaskAssignment(S.Config!, S.TaskConfigs[taskId], S.TargetState, S.Generation));
        await grain.Restart();
    }

    private async Task<TaskState> TaskStatusAsync(int taskId)
    {
        var status = await GrainFactory.GetGrain<ITaskGrain>(TaskKey(taskId)).GetStatus();
        if (status.State != States.Failed) return status;
        // Seen FAILED before the task's report arrived (it is sent outside the task's turn): schedule the restart now,
        // so the trace always says when the next attempt comes.
        if (!_restartTimers.ContainsKey(taskId)) await OnTaskFailed(taskId, status.Trace ?? "");
        return _backoff.TryGetValue(taskId, out var backoff) ? status with { Trace = backoff.Describe() + "\n" + status.Trace } : status;
    }

    private RestartBackoff BackoffOf(int taskId)
    {
        if (!_backoff.TryGetValue(taskId, out var backoff))
        {
            _backoff[taskId] = backoff = new RestartBackoff(
                TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.TaskRestartBackoffInitial)),
                TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.TaskRestartBackoffMax)));
        }
        return backoff;
    }

    private ConnectorInfo Info() => new(
        Name,
        secrets.Mask(S.Config!, secrets.SecretKeys(S.Config!)),
        Enumerable.Range(0, S.TaskConfigs.Count).Select(i => new ConnectorTaskId(Name, i)).ToList(),
        TypeName);

    private string TypeName => S.Config is { } config && worker.Plugins.FindConnector(config.GetValueOrDefault(ConnectorConfig.ConnectorClass, "")) is { } desc
        ? desc.Type.ToConnectName()
        : "unknown";

    /// <summary>The stored config with its secrets decrypted; references unresolved.</summary>
    private Dictionary<string, string> PlainConfig => secrets.Reveal(S.Config!);

    /// <summary>The config a connector instance or a client of the connector uses: decrypted, references resolved.</summary>
    private Task<Dictionary<string, string>> ResolvedConfigAsync() =>
        secrets.ResolveAsync(PlainConfig, $"Connector {Name}", CancellationToken.None);

    /// <summary>Secrets written under an older encryption key (or before a key was configured) are written again with
    /// the current key when the connector activates, so a rotated-out key can be removed once every connector ran.</summary>
    private async Task RewriteSecretsIfNeededAsync()
    {
        var secretKeys = secrets.SecretKeys(S.Config!);
        if (!secrets.NeedsRewrite(S.Config!, secretKeys) && !S.TaskConfigs.Any(c => secrets.NeedsRewrite(c, secretKeys))) return;
        try
        {
            S.Config = secrets.Protect(secrets.Reveal(S.Config!), secretKeys);
            SetTaskConfigs(S.TaskConfigs.Select(c => secrets.Protect(secrets.Reveal(c), secretKeys)).ToList());
            // A new generation makes every task grain take the re-encrypted assignment (its stored copy used the old key).
            if (S.TaskConfigs.Count > 0) S.Generation++;
        }
        catch (Connect.Config.ConfigException e)
        {
            logger.LogError("Connector {Connector}: stored secrets cannot be decrypted: {Reason}", Name, e.Message);
            return;
        }
        await state.WriteStateAsync();
        logger.LogInformation("Connector {Connector}: stored secrets re-encrypted with the current key", Name);
    }

    private void SetTaskConfigs(List<Dictionary<string, string>> configs)
    {
        S.TaskConfigs = configs;
        if (S.Config is not null) _info = Info();
    }

    /// <summary>The restart plans the status listing shows, as a fresh snapshot (read from outside the turns).</summary>
    private void PublishRestartPlans() => _restartPlans = _backoff.ToDictionary(kv => kv.Key, kv => kv.Value.Describe());

    private ConnectorRegistry Registry => new(GrainFactory, worker.Config.GetString(WorkerConfig.GroupId)!);

    private string TaskKey(int taskId) => new ConnectorTaskId(Name, taskId).ToString();

    private TimeSpan ReconcileInterval => TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.ReconcileInterval));

    private void RequireExists(string message)
    {
        if (!Exists) throw new NotFoundException(message);
    }

    private static bool SameConfig(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>The connector instance's view of the framework. Calls into the grain are not awaited: the
    /// connector may call from inside the grain's own turn (e.g. during start).</summary>
    private sealed class Context(ConnectorGrain grain, ConnectWorker worker, string name) : ISourceConnectorContext
    {
        private readonly IConnectorGrain _self = grain.GrainFactory.GetGrain<IConnectorGrain>(name);

        public void RequestTaskReconfiguration() => _ = _self.RequestTaskReconfiguration().ContinueWith(
            t => grain._logger.LogWarning(t.Exception, "Task reconfiguration of {Connector} failed", name), TaskContinuationOptions.OnlyOnFaulted);

        public void RaiseError(Exception e)
        {
            grain._connectorState = States.Failed;
            grain._connectorTrace = e.ToString();
            grain._logger.LogError(e, "Connector {Connector} raised an error", name);
        }

        public IOffsetStorageReader OffsetStorageReader { get; } = new OffsetStorageReader(worker.OffsetStore, name);
    }
}
