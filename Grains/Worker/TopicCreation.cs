using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Grains.Worker;

/// <summary>Connect's topic.creation.* for source connectors: the first time a task produces to a topic, the
/// topic is created with the settings of the first group (in topic.creation.groups order) whose include regexes
/// match and whose exclude regexes do not, else with the default group's. Creation is active when the worker
/// allows it (topic.creation.enable) and the connector sets any topic.creation.* key; the default group's
/// replication.factor and partitions are then required (validation refuses a config without them). The admin
/// client gets the connector's admin.override.* settings. Without topic.creation.*, a Kafka broker creates a missing
/// topic itself with its num.partitions (1 by default); the embedded broker would give it 4, so there the topic is
/// created first with embedded.broker.num.partitions. Also tracks the topics the task used (active topics).</summary>
public sealed class TopicCreation
{
    private sealed record Group(string Name, Regex? Include, Regex? Exclude, int Partitions, short ReplicationFactor, Dictionary<string, string> TopicConfigs);

    private readonly ILogger _logger;
    private readonly List<Group> _groups = [];
    private readonly Group? _default;
    private readonly TopicAdmin? _admin;
    private readonly EmbeddedKafkaBroker? _embedded;
    private readonly HashSet<string> _ensured = new(StringComparer.Ordinal);
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public TopicCreation(ConnectWorker worker, IReadOnlyDictionary<string, string> config, ILogger logger)
    {
        _logger = logger;
        if (!worker.Config.GetBoolean(WorkerConfig.TopicCreationEnable) || !UsesTopicCreation(config))
        {
            _embedded = worker.EmbeddedBroker;
            return;
        }

        _default = ReadGroup(TopicCreationGroups.DefaultGroup, config, null, null);
        foreach (var name in TopicCreationGroups.AliasesOf(config.GetValueOrDefault(ConnectorConfig.TopicCreationGroups)))
            _groups.Add(ReadGroup(name, config, _default.Partitions, _default.ReplicationFactor));

        var overrides = ClientOverrides.Of(worker, config, ClientOverrides.Admin);
        _admin = overrides.Count == 0
            ? worker.TopicAdmin
            : new TopicAdmin(worker.BootstrapServers, worker.EmbeddedBroker,
                KafkaClients.Merge(worker.Config.ClientConfigs(ClientOverrides.Admin), overrides).ToDictionary(kv => kv.Key, kv => (string?)kv.Value),
                logger);
    }

    /// <summary>Kafka's test: any key under topic.creation. turns topic creation on for the connector.</summary>
    public static bool UsesTopicCreation(IReadOnlyDictionary<string, string> config) =>
        config.Keys.Any(k => k.StartsWith(ConnectorConfig.TopicCreationPrefix, StringComparison.Ordinal));

    /// <summary>Topics the task produced to since it started or since <see cref="ResetSeenTopics"/>.</summary>
    public IReadOnlyCollection<string> SeenTopics
    {
        get { lock (_gate) return _active.ToList(); }
    }

    public void ResetSeenTopics()
    {
        lock (_gate) _active.Clear();
    }

    public async ValueTask EnsureAsync(string topic, CancellationToken cancellationToken)
    {
        bool create;
        lock (_gate)
        {
            _active.Add(topic);
            create = _ensured.Add(topic);
        }
        if (!create) return;
        if (_embedded is not null)
        {
            // Before the producer's first metadata request for it, which would auto-create it with 4 partitions.
            _embedded.CreateTopic(topic, _embedded.DefaultPartitions);
            return;
        }
        if (_default is null || _admin is null) return;
        var group = _groups.FirstOrDefault(g => g.Include is not null && g.Include.IsMatch(topic) && !(g.Exclude?.IsMatch(topic) ?? false)) ?? _default;
        try
        {
            await _admin.EnsureTopicAsync(topic, group.Partitions, group.ReplicationFactor, group.TopicConfigs, cancellationToken);
        }
        catch
        {
            // Not created: try again with the next record rather than assume it exists.
            lock (_gate) _ensured.Remove(topic);
            throw;
        }
        _logger.LogInformation("Ensured topic {Topic} exists (topic.creation group {Group})", topic, group.Name);
    }

    private static Group ReadGroup(string name, IReadOnlyDictionary<string, string> config, int? defaultPartitions, short? defaultReplication)
    {
        var prefix = ConnectorConfig.TopicCreationPrefix + name + ".";
        var settings = config.WithPrefixStripped(prefix).ToDictionary(kv => kv.Key, kv => kv.Value!.Trim());
        var partitions = settings.Remove(TopicCreationGroups.Partitions, out var p)
            ? Parse<int>(prefix + TopicCreationGroups.Partitions, p, int.TryParse) : defaultPartitions
            ?? throw Missing(prefix + TopicCreationGroups.Partitions);
        var replication = settings.Remove(TopicCreationGroups.ReplicationFactor, out var r)
            ? Parse<short>(prefix + TopicCreationGroups.ReplicationFactor, r, short.TryParse) : defaultReplication
            ?? throw Missing(prefix + TopicCreationGroups.ReplicationFactor);
        var include = Pattern(settings, TopicCreationGroups.Include);
        var exclude = Pattern(settings, TopicCreationGroups.Exclude);
        // -1 asks the broker for its default, as in Kafka.
        return new Group(name, include, exclude, partitions, replication, settings);
    }

    private delegate bool TryParser<T>(string text, out T value);

    private static T Parse<T>(string key, string text, TryParser<T> parse) =>
        parse(text, out var value) ? value : throw new ConnectException($"Invalid value {text} for configuration {key}: Not a number of the required size");

    private static ConnectException Missing(string key) =>
        new($"Missing required configuration \"{key}\" which has no default value.");

    /// <summary>A list of regexes as one alternation matched against the whole topic name (Java's matches()).</summary>
    private static Regex? Pattern(Dictionary<string, string> settings, string key)
    {
        if (!settings.Remove(key, out var list)) return null;
        var parts = TopicCreationGroups.SplitList(list);
        return parts.Count == 0 ? null : new Regex("^(?:" + string.Join("|", parts) + ")$", RegexOptions.CultureInvariant);
    }
}
