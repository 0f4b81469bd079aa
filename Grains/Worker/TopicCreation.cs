using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Config;

namespace OrleansConnect.Grains.Worker;

/// <summary>Connect's topic.creation.* for source connectors: the first time a task produces to a topic, the
/// topic is created with the settings of the first group whose include regexes match (and excludes do not),
/// else the default group. Creation is active only when the worker allows it and the connector sets
/// topic.creation.default.replication.factor and .partitions. Also tracks the topics the task used.</summary>
public sealed class TopicCreation
{
    private sealed record Group(string Name, List<Regex> Include, List<Regex> Exclude, int Partitions, short ReplicationFactor, Dictionary<string, string> TopicConfigs);

    private readonly ConnectWorker _worker;
    private readonly ILogger _logger;
    private readonly List<Group> _groups = [];
    private readonly Group? _default;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public TopicCreation(ConnectWorker worker, IReadOnlyDictionary<string, string> config, ILogger logger)
    {
        _worker = worker;
        _logger = logger;
        if (!worker.Config.GetBoolean(WorkerConfig.TopicCreationEnable)) return;
        _default = ReadGroup("default", config, null, null);
        if (_default is null) return;
        var names = config.GetValueOrDefault(ConnectorConfig.TopicCreationGroups, "")
            .Split(',').Select(g => g.Trim()).Where(g => g.Length > 0 && g != "default").Distinct();
        foreach (var name in names)
        {
            if (ReadGroup(name, config, _default.Partitions, _default.ReplicationFactor) is { } group) _groups.Add(group);
        }
    }

    public IReadOnlyCollection<string> SeenTopics
    {
        get { lock (_gate) return _seen.ToList(); }
    }

    public async ValueTask EnsureAsync(string topic, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_seen.Add(topic)) return;
        }
        if (_default is null) return;
        var group = _groups.FirstOrDefault(g => g.Include.Any(r => r.IsMatch(topic)) && !g.Exclude.Any(r => r.IsMatch(topic))) ?? _default;
        await _worker.TopicAdmin.EnsureTopicAsync(topic, group.Partitions, group.ReplicationFactor, group.TopicConfigs, cancellationToken);
        _logger.LogInformation("Ensured topic {Topic} exists (topic.creation group {Group})", topic, group.Name);
    }

    private static Group? ReadGroup(string name, IReadOnlyDictionary<string, string> config, int? defaultPartitions, short? defaultReplication)
    {
        var prefix = ConnectorConfig.TopicCreationPrefix + name + ".";
        var settings = config.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value.Trim());
        int? partitions = settings.Remove("partitions", out var p) ? int.Parse(p) : defaultPartitions;
        short? replication = settings.Remove("replication.factor", out var r) ? short.Parse(r) : defaultReplication;
        if (partitions is null || replication is null) return null;
        var include = Patterns(settings, "include");
        var exclude = Patterns(settings, "exclude");
        // -1 asks the broker for its default, as in Kafka.
        return new Group(name, include, exclude, partitions.Value, replication.Value, settings);
    }

    private static List<Regex> Patterns(Dictionary<string, string> settings, string key) =>
        settings.Remove(key, out var list)
            ? list.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).Select(x => new Regex("^(?:" + x + ")$")).ToList()
            : [];
}
