using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Storage;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Connectors;

/// <summary>One per connector (key = name). Holds the config, target state and task configs as grain state and drives
/// the connector and its TaskGrains to the target state: on every change, on activation and on a durable reminder. The
/// jobs are its collaborators': the plugin instance (<see cref="ConnectorInstance"/>), automatic restarts of FAILED tasks
/// (<see cref="TaskRestartScheduler"/>), task configs (<see cref="TaskConfigGenerator"/>) and the offsets API
/// (<see cref="ConnectorOffsetsApi"/>).</summary>
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
    private ConnectorInstance _instance = null!;
    private TaskRestartScheduler _restarts = null!;
    private bool _isSink;
    private bool _reminderRegistered;
    private IDisposable? _tracked;
    private string _connectorClass = "";
    // What this silo's status listing reads from outside the grain's turns (Cluster.LocalStatuses).
    private IDisposable? _listed;
    // The masked info (config, task ids, type) as of the last change, for listings read outside the turns.
    private volatile ConnectorInfo? _info;

    private string Name => this.GetPrimaryKeyString();
    private ConnectorGrainState S => state.State;
    private bool Exists => state.RecordExists && S.Config is not null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var name = Name;
        _instance = new ConnectorInstance(name, worker.Plugins, () => new ConnectorInstance.Context(_instance,
            () => GrainFactory.GetGrain<IConnectorGrain>(name).RequestTaskReconfiguration(), new OffsetStorageReader(worker.OffsetStore, name)), logger);
        _restarts = new TaskRestartScheduler(name,
            TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.TaskRestartBackoffInitial)),
            TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.TaskRestartBackoffMax)),
            (callback, delay) => this.RegisterGrainTimer(_ => callback(), delay, Timeout.InfiniteTimeSpan),
            RestartIfStillFailedAsync, logger);
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
        _restarts.Forget(0);
        await _instance.StopAsync(CancellationToken.None);
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
        var instance = _instance;
        var restarts = _restarts;
        _tracked ??= metrics.TrackConnector(Name, () => new Metrics.ConnectMetrics.ConnectorView(
            instance.Status.State, _connectorClass, _isSink ? "sink" : "source"));
        _info = Info();
        var name = Name;
        _listed ??= localStatuses.AddConnector(name, withInfo => _info is { } info
            ? new ConnectorStatusView(name, ConnectorStateOf(instance), info.Type, info.Tasks.Count, restarts.Plans, withInfo ? info : null)
            : null);
    }

    public async Task<PutConfigResult> PutConfig(Dictionary<string, string> config, bool allowReplace, TargetState? initialState)
    {
        // "[hidden]" as a client read it back keeps the stored secret.
        config = secrets.RestoreHidden(config, Exists ? PlainConfig : null);
        var result = validator.ValidateForStore(config.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
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
        await _instance.StopAsync(CancellationToken.None);
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
        await _instance.StopAsync(CancellationToken.None);
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
        _instance.SetState(States.Unassigned, clearTrace: true);
        _restarts.Forget(0);
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
        return new ConnectorStateInfo(Name, ConnectorStateOf(_instance), tasks.ToList(), TypeName);
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
        if (!Exists || S.TargetState == TargetState.Stopped || !_instance.IsRunning) return;
        await ApplyTargetStateAsync(regenerateTasks: true);
    }

    public Task OnTaskFailed(int taskId, string trace)
    {
        if (Exists && taskId < S.TaskConfigs.Count) _restarts.OnFailed(taskId, trace);
        return Task.CompletedTask;
    }

    /// <summary>A planned restart is due: it happens if the task still exists and is still FAILED.</summary>
    private async Task RestartIfStillFailedAsync(int taskId, int attempt)
    {
        if (!Exists || taskId >= S.TaskConfigs.Count || S.TargetState == TargetState.Stopped) return;
        var status = await GrainFactory.GetGrain<ITaskGrain>(TaskKey(taskId)).GetStatus();
        if (status.State != States.Failed) return;
        metrics.TaskRestarted(Name, taskId, attempt);
        await RestartTaskNowAsync(taskId);
    }

    public async Task<ConnectorOffsets> GetOffsets()
    {
        RequireExists($"Connector {Name} not found");
        return await Offsets.ReadAsync(await ResolvedConfigAsync(), S.SinkOffsetPartitions, CancellationToken.None);
    }

    public Task<string> AlterOffsets(ConnectorOffsets offsets) => ModifyOffsetsAsync(offsets.Offsets);

    public Task<string> ResetOffsets() => ModifyOffsetsAsync(null);

    private async Task<string> ModifyOffsetsAsync(IReadOnlyList<ConnectorOffset>? offsets)
    {
        RequireExists($"Connector {Name} not found");
        if (S.TargetState != TargetState.Stopped || S.TaskConfigs.Count > 0) throw OffsetsMessages.NotStopped(Name);
        var (message, sinkPartitions) = await Offsets.ModifyAsync(await ResolvedConfigAsync(), offsets, S.SinkOffsetPartitions, CancellationToken.None);
        if (sinkPartitions is not null)
        {
            S.SinkOffsetPartitions = sinkPartitions;
            await state.WriteStateAsync();
        }
        return message;
    }

    private ConnectorOffsetsApi Offsets => new(Name, worker, logger);

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
            await _instance.StopAsync(CancellationToken.None);
            _instance.SetState(States.Stopped, clearTrace: true);
            return;
        }
        if (!_instance.IsRunning && !await StartConnectorInstanceAsync()) return;
        _instance.SetState(S.TargetState == TargetState.Paused ? States.Paused : States.Running);
        if (regenerateTasks) await RegenerateTaskConfigsAsync();
        await AssignTasksAsync();
    }

    private async Task<bool> StartConnectorInstanceAsync()
    {
        bool started;
        try
        {
            started = await _instance.StartAsync(await ResolvedConfigAsync(), CancellationToken.None);
        }
        catch (Exception e)
        {
            // A config reference that cannot be resolved: the connector fails as if its start had thrown.
            _instance.Fail(e);
            logger.LogError(e, "Connector {Connector} failed to start", Name);
            started = false;
        }
        metrics.ConnectorStartup(started);
        // A running connector instance may call back at any time: keep the activation.
        if (started) DelayDeactivation(TimeSpan.MaxValue);
        return started;
    }

    private async Task RestartConnectorInstanceAsync()
    {
        await _instance.StopAsync(CancellationToken.None);
        _instance.SetState(States.Restarting);
        await ApplyTargetStateAsync(regenerateTasks: false);
    }

    private async Task RegenerateTaskConfigsAsync()
    {
        if (_instance.Connector is not { } connector) return;
        var config = S.Config!;
        List<Dictionary<string, string>> generated;
        try
        {
            var plain = PlainConfig;
            generated = TaskConfigGenerator.Generate(connector, Name, worker.Plugins.FindConnector(config[ConnectorConfig.ConnectorClass])?.ClassName,
                plain, _instance.ResolvedConfig ?? plain, _isSink);
        }
        catch (Exception e)
        {
            _instance.Fail(e);
            logger.LogError(e, "Connector {Connector} failed to generate task configs", Name);
            return;
        }
        if (TaskConfigGenerator.Same(generated, S.TaskConfigs.Select(secrets.Reveal).ToList())) return;
        var previousCount = S.TaskConfigs.Count;
        var secretKeys = secrets.SecretKeys(config);
        SetTaskConfigs(generated.Select(c => secrets.Protect(c, secretKeys)).ToList());
        S.Generation++;
        await state.WriteStateAsync();
        if (previousCount > generated.Count) await UnassignTasksAsync(generated.Count, previousCount);
        logger.LogInformation("Connector {Connector} has {TaskCount} task configs (generation {Generation})", Name, generated.Count, S.Generation);
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
            if (reports[i].Status.State == States.Failed) _restarts.OnFailed(i, reports[i].Status.Trace ?? "");
        }
    }

    private async Task UnassignTasksAsync(int from, int to)
    {
        await CollectActiveTopicsAsync(to);
        _restarts.Forget(from);
        await Task.WhenAll(Enumerable.Range(from, Math.Max(0, to - from)).Select(i => GrainFactory.GetGrain<ITaskGrain>(TaskKey(i)).Unassign()));
        // With their backoff, the tasks' restart-attempt series go (stop, fewer tasks, delete).
        metrics.ForgetRestarts(Name, from);
    }

    private async Task RestartTaskNowAsync(int taskId)
    {
        _restarts.OnRestarting(taskId);
        await CollectActiveTopicsAsync();
        var grain = GrainFactory.GetGrain<ITaskGrain>(TaskKey(taskId));
        await grain.Assign(new TaskAssignment(S.Config!, S.TaskConfigs[taskId], S.TargetState, S.Generation));
        await grain.Restart();
    }

    /// <summary>A task's status; a FAILED one's trace starts with its restart plan. Reading arms nothing.</summary>
    private async Task<TaskState> TaskStatusAsync(int taskId)
    {
        var status = await GrainFactory.GetGrain<ITaskGrain>(TaskKey(taskId)).GetStatus();
        return status.State == States.Failed ? status with { Trace = _restarts.Describe(taskId) + "\n" + status.Trace } : status;
    }

    private ConnectorState ConnectorStateOf(ConnectorInstance instance)
    {
        var (connectorState, trace) = instance.Status;
        return new ConnectorState(connectorState, worker.WorkerId, trace);
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

    private ConnectorRegistry Registry => new(GrainFactory, worker.Config.GetString(WorkerConfig.GroupId)!);

    private string TaskKey(int taskId) => new ConnectorTaskId(Name, taskId).ToString();

    private TimeSpan ReconcileInterval => TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.ReconcileInterval));

    private void RequireExists(string message)
    {
        if (!Exists) throw new NotFoundException(message);
    }
}
