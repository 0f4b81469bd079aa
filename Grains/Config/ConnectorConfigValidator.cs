using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Config;

/// <summary>Validates a connector config the way Connect's distributed herder does before storing it: the framework
/// keys (enriched with transforms.&lt;alias&gt;.*, predicates.&lt;alias&gt;.* and, for sources creating topics,
/// topic.creation.&lt;group&gt;.*), the sink topic rules and consumer group check, the exactly-once checks of sources,
/// null values, the connector's own validation and the client overrides the worker's policy allows. The result is
/// Connect's ConfigInfos: framework keys first, then the connector's, then one entry per client override.</summary>
public sealed class ConnectorConfigValidator(PluginRegistry plugins, WorkerConfig workerConfig)
{
    public sealed record Result(ConfigInfos Infos, PluginDesc Connector, bool IsSink);

    private const string NullValueMessage = "Null value can not be supplied as the configuration value.";

    private readonly Security.PathConfinement _fileAllowedPaths = new(workerConfig.GetList(WorkerConfig.FileAllowedPaths));

    /// <summary>Validates; throws BadRequestException when there is no connector.class or it names no known connector.</summary>
    public async Task<Result> ValidateAsync(IReadOnlyDictionary<string, string?> config, CancellationToken ct = default)
    {
        if (!config.TryGetValue(ConnectorConfig.ConnectorClass, out var className) || className is null)
            throw new BadRequestException($"Connector config {FormatMap(config)} contains no connector type");
        var desc = plugins.FindConnector(className)
            ?? throw new BadRequestException(
                $"Failed to find any class that implements Connector and which name matches {className}, available connectors are: " +
                string.Join(", ", plugins.Plugins.Where(p => p.Type is PluginType.Sink or PluginType.Source).Select(p => p.ClassName)));
        var isSink = desc.Type == PluginType.Sink;
        var connector = plugins.Instantiate<Connector>(desc);

        var frameworkDef = EnrichedFrameworkDef(isSink, config);
        var frameworkValues = frameworkDef.ValidateAll(config);
        ValidateTasksMaxLimit(frameworkValues);
        if (isSink)
        {
            ValidateSinkTopics(config, frameworkValues);
            ValidateSinkGroupId(config, frameworkValues);
        }
        else
        {
            ValidateTopicCreationGroups(frameworkValues);
            ValidateExactlyOnce((SourceConnector)connector, config, frameworkValues);
        }

        ConfigDef connectorDef;
        IReadOnlyList<ConfigValue> connectorValues;
        try
        {
            connectorDef = connector.Config;
            connectorValues = (await connector.ValidateAsync(config, ct)).ConfigValues;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new BadRequestException($"Connector {desc.ClassName} failed to validate its configuration: {e.Message}");
        }

        // Key definitions in Connect's order: the framework's, then the connector's own (a key both define keeps the
        // framework's position and takes the connector's definition).
        var keys = new Dictionary<string, ConfigKey>(StringComparer.Ordinal);
        var keyOrder = new List<string>();
        foreach (var key in frameworkDef.Keys.Concat(connectorDef.Keys))
        {
            if (!keys.ContainsKey(key.Name)) keyOrder.Add(key.Name);
            keys[key.Name] = key;
        }
        // Values: the connector's validation wins over the framework's for a key both validate. A value the connector
        // reports for a key nobody defines (a key it refuses, e.g. a Debezium key not implemented) is listed too.
        var values = new Dictionary<string, ConfigValue>(frameworkValues, StringComparer.Ordinal);
        var undefined = new List<ConfigValue>();
        foreach (var value in connectorValues)
        {
            values[value.Name] = value;
            if (!keys.ContainsKey(value.Name) && value.ErrorMessages.Count > 0) undefined.Add(value);
        }
        if (Security.FileStreamConfinement.Refusal(desc, config.GetValueOrDefault("file"), _fileAllowedPaths) is { } refusal)
        {
            if (!values.TryGetValue("file", out var fileValue)) values["file"] = fileValue = new ConfigValue("file", config.GetValueOrDefault("file"), [], []);
            fileValue.AddErrorMessage(refusal);
        }

        // Null values are errors wherever they are; a key nobody defines gets an entry without a definition.
        foreach (var (key, value) in config)
        {
            if (value is not null) continue;
            if (!values.TryGetValue(key, out var configValue))
            {
                configValue = new ConfigValue(key);
                if (!keys.ContainsKey(key)) undefined.Add(configValue);
                else values[key] = configValue;
            }
            configValue.AddErrorMessage(NullValueMessage);
        }

        var configs = new List<ConfigInfo>();
        var errorCount = 0;
        foreach (var value in undefined)
        {
            configs.Add(new ConfigInfo(null, ToValueInfo(value, null)));
            errorCount += value.ErrorMessages.Count;
        }
        foreach (var name in keyOrder)
        {
            var key = keys[name];
            var value = values.GetValueOrDefault(name);
            var valueInfo = value is null ? null : ToValueInfo(value, key.Type);
            // A secret by name (connection.password defined as STRING) is hidden like a PASSWORD.
            if (valueInfo is { Value: not null } && Security.SecretNames.IsSecretName(name)) valueInfo = valueInfo with { Value = Password.Hidden };
            configs.Add(new ConfigInfo(ToKeyInfo(key), valueInfo));
            errorCount += value?.ErrorMessages.Count ?? 0;
        }
        var groups = frameworkDef.Groups.Concat(connectorDef.Groups).Distinct(StringComparer.Ordinal).ToList();

        foreach (var client in ClientsOf(isSink, config))
        {
            var (entries, errors) = ValidateClientOverrides(config, client);
            configs.AddRange(entries);
            errorCount += errors;
        }
        return new Result(new ConfigInfos(className, errorCount, groups, configs), desc, isSink);
    }

    /// <summary>The worker's cap on a connector's tasks.max (connector.tasks.max.limit): one connector must not be able
    /// to ask a silo for more tasks than it can hold.</summary>
    private void ValidateTasksMaxLimit(Dictionary<string, ConfigValue> values)
    {
        var limit = workerConfig.GetInt(WorkerConfig.ConnectorTasksMaxLimit);
        if (values.TryGetValue(ConnectorConfig.TasksMax, out var value) && value.ErrorMessages.Count == 0
            && value.Value is int tasksMax && tasksMax > limit)
        {
            value.AddErrorMessage($"tasks.max {tasksMax} is above this worker's {WorkerConfig.ConnectorTasksMaxLimit} {limit}; lower tasks.max or raise the limit");
        }
    }

    /// <summary>Validates for storing: any error becomes Connect's 400 "Connector configuration is invalid…", listing
    /// every error message in the order validation reports them.</summary>
    public async Task<Result> ValidateForStoreAsync(IReadOnlyDictionary<string, string?> config, CancellationToken ct = default)
    {
        var result = await ValidateAsync(config, ct);
        if (result.Infos.ErrorCount > 0)
        {
            var messages = result.Infos.Configs.Where(c => c.Value is not null).SelectMany(c => c.Value!.Errors);
            throw new BadRequestException(
                $"Connector configuration is invalid and contains the following {result.Infos.ErrorCount} error(s):\n" +
                string.Join("\n", messages) +
                "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
        }
        return result;
    }

    /// <summary>The framework ConfigDef plus transforms.&lt;alias&gt;.*, predicates.&lt;alias&gt;.* and, for a source
    /// connector that creates topics, topic.creation.&lt;group&gt;.* keys.</summary>
    public ConfigDef EnrichedFrameworkDef(bool isSink, IReadOnlyDictionary<string, string?> config)
    {
        var def = ConnectorConfig.ForType(isSink);
        var order = 2;
        foreach (var alias in AliasesOf(config, ConnectorConfig.Transforms))
        {
            var prefix = $"{ConnectorConfig.Transforms}.{alias}.";
            var group = $"{ConnectorConfig.TransformsGroup}: {alias}";
            var child = new ConfigDef()
                .Define("type", ConfigType.Class, ConfigDef.NoDefaultValue, new PluginClassValidator(plugins, PluginType.Transformation), Importance.High,
                    "Class for the '" + alias + "' transformation.", group, -1, Width.Long, "Transformation type for " + alias)
                .Define("negate", ConfigType.Boolean, false, null, Importance.Medium,
                    "Whether the configured predicate should be negated.", group, -1, Width.Short, "Negate predicate")
                .Define("predicate", ConfigType.String, null, null, Importance.Medium,
                    "The alias of a predicate used to determine whether to apply this transformation.", group, -1, Width.Medium, "Predicate");
            if (config.TryGetValue(prefix + "type", out var cls) && cls is not null && plugins.Find(cls, PluginType.Transformation) is { } t)
                AppendKeys(child, plugins.ConfigDefOf(t));
            def.Embed(prefix, group, order++, child);
        }
        foreach (var alias in AliasesOf(config, ConnectorConfig.Predicates))
        {
            var prefix = $"{ConnectorConfig.Predicates}.{alias}.";
            var group = $"{ConnectorConfig.PredicatesGroup}: {alias}";
            var child = new ConfigDef()
                .Define("type", ConfigType.Class, ConfigDef.NoDefaultValue, new PluginClassValidator(plugins, PluginType.Predicate), Importance.High,
                    "Class for the '" + alias + "' predicate.", group, -1, Width.Long, "Predicate type for " + alias);
            if (config.TryGetValue(prefix + "type", out var cls) && cls is not null && plugins.Find(cls, PluginType.Predicate) is { } p)
                AppendKeys(child, plugins.ConfigDefOf(p));
            def.Embed(prefix, group, order++, child);
        }
        if (!isSink && CreatesTopics(config)) EmbedTopicCreationGroups(def, config);
        return def;
    }

    /// <summary>Topic creation applies when the worker allows it and the config has any topic.creation.* key.</summary>
    private bool CreatesTopics(IReadOnlyDictionary<string, string?> config) =>
        workerConfig.GetBoolean(WorkerConfig.TopicCreationEnable)
        && config.Keys.Any(k => k.StartsWith(ConnectorConfig.TopicCreationPrefix, StringComparison.Ordinal));

    private static void EmbedTopicCreationGroups(ConfigDef def, IReadOnlyDictionary<string, string?> config)
    {
        const string groupPrefix = ConnectorConfig.TopicCreationGroup + ": ";
        var defaultPrefix = ConnectorConfig.TopicCreationPrefix + TopicCreationGroups.DefaultGroup + ".";
        def.Embed(defaultPrefix, groupPrefix + TopicCreationGroups.DefaultGroup, 0, TopicCreationGroups.DefaultGroupDef());
        // Named groups inherit the default group's numbers; -1 (the broker's default) stands in for an invalid one,
        // whose own error is reported on the default group's key.
        var replication = TryParse(config, defaultPrefix + TopicCreationGroups.ReplicationFactor, ConfigType.Short) as short? ?? -1;
        var partitions = TryParse(config, defaultPrefix + TopicCreationGroups.Partitions, ConfigType.Int) as int? ?? -1;
        var aliases = config.TryGetValue(ConnectorConfig.TopicCreationGroups, out var list) ? TopicCreationGroups.AliasesOf(list) : [];
        foreach (var alias in aliases)
        {
            def.Embed(ConnectorConfig.TopicCreationPrefix + alias + ".", groupPrefix + alias, 0,
                TopicCreationGroups.NamedGroupDef(alias, replication, partitions));
        }
    }

    private static object? TryParse(IReadOnlyDictionary<string, string?> config, string key, ConfigType type)
    {
        if (!config.TryGetValue(key, out var raw) || raw is null) return null;
        try { return ConfigDef.ParseType(key, raw, type); }
        catch (ConfigException) { return null; }
    }

    private static void ValidateTopicCreationGroups(Dictionary<string, ConfigValue> values)
    {
        if (values.GetValueOrDefault(ConnectorConfig.TopicCreationGroups) is not { ErrorMessages.Count: 0, Value: IEnumerable<object> aliases } value)
            return;
        var list = aliases.Select(a => a?.ToString() ?? "").ToList();
        if (list.Count > list.Distinct(StringComparer.Ordinal).Count())
            value.AddErrorMessage(new ConfigException(ConnectorConfig.TopicCreationGroups, list, "Duplicate alias provided.").Message);
    }

    /// <summary>The distributed herder's checks of exactly.once.support=required and transaction.boundary=connector.
    /// This runtime has no exactly-once source support, so "required" is always refused, as on a Kafka worker
    /// without exactly.once.source.support=enabled.</summary>
    private static void ValidateExactlyOnce(SourceConnector connector, IReadOnlyDictionary<string, string?> config, Dictionary<string, ConfigValue> values)
    {
        var raw = config.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!);
        if (values.GetValueOrDefault(ConnectorConfig.ExactlyOnceSupport) is { ErrorMessages.Count: 0 } support
            && string.Equals(support.Value?.ToString()?.Trim(), "required", StringComparison.OrdinalIgnoreCase))
        {
            support.AddErrorMessage("This worker does not have exactly-once source support enabled.");
            try
            {
                switch (connector.ExactlyOnceSupport(raw))
                {
                    case null:
                        support.AddErrorMessage("The connector does not implement the API required for preflight validation of exactly-once "
                            + "source support. Please consult the documentation for the connector to determine whether it supports exactly-once "
                            + "semantics, and then consider reconfiguring the connector to use the value \"requested\" for this property "
                            + "(which will disable this preflight check and allow the connector to be created).");
                        break;
                    case Connect.Source.ExactlyOnceSupport.Unsupported:
                        support.AddErrorMessage("The connector does not support exactly-once semantics with the provided configuration.");
                        break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                support.AddErrorMessage(UnexpectedValidationError(e));
            }
        }
        if (values.GetValueOrDefault(ConnectorConfig.TransactionBoundary) is { ErrorMessages.Count: 0 } boundary
            && string.Equals(boundary.Value?.ToString()?.Trim(), "connector", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                if (connector.CanDefineTransactionBoundaries(raw) != ConnectorTransactionBoundaries.Supported)
                {
                    boundary.AddErrorMessage("The connector does not support connector-defined transaction boundaries with the given configuration. "
                        + "Please reconfigure it to use a different transaction boundary definition.");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                boundary.AddErrorMessage(UnexpectedValidationError(e));
            }
        }
    }

    private static string UnexpectedValidationError(Exception e) =>
        string.IsNullOrWhiteSpace(e.Message)
            ? "An unexpected error occurred during validation; please see the worker logs for more details."
            : "An unexpected error occurred during validation: " + e.Message.Trim();

    /// <summary>The distributed herder's check that a sink's consumer group is not the worker's own group.</summary>
    private void ValidateSinkGroupId(IReadOnlyDictionary<string, string?> config, Dictionary<string, ConfigValue> values)
    {
        var workerGroup = workerConfig.GetString(WorkerConfig.GroupId);
        const string overrideKey = "consumer.override.group.id";
        if (config.TryGetValue(overrideKey, out var groupId))
        {
            if (groupId is not null && groupId == workerGroup)
            {
                if (!values.TryGetValue(overrideKey, out var value))
                    values[overrideKey] = value = new ConfigValue(overrideKey, groupId, [], []);
                value.AddErrorMessage($"Consumer group {groupId} conflicts with Connect worker group {workerGroup}");
            }
        }
        else if (values.GetValueOrDefault(ConnectorConfig.Name) is { Value: string name } nameValue && "connect-" + name == workerGroup)
        {
            nameValue.AddErrorMessage($"Consumer group for sink connector named {name} conflicts with Connect worker group {workerGroup}");
        }
    }

    /// <summary>The clients whose overrides Connect validates, in its order: producer (sources, sinks with a DLQ),
    /// consumer (sinks, sources with their own offsets topic), admin (sources creating topics or with their own
    /// offsets topic, sinks with a DLQ).</summary>
    private IEnumerable<string> ClientsOf(bool isSink, IReadOnlyDictionary<string, string?> config)
    {
        var hasDlq = !string.IsNullOrWhiteSpace(config.GetValueOrDefault(ConnectorConfig.DlqTopicName));
        var ownOffsetsTopic = !string.IsNullOrWhiteSpace(config.GetValueOrDefault(ConnectorConfig.OffsetsStorageTopic));
        if (!isSink || hasDlq) yield return ClientOverrides.Producer;
        if (isSink || ownOffsetsTopic) yield return ClientOverrides.Consumer;
        if (isSink ? hasDlq : CreatesTopics(config) || ownOffsetsTopic) yield return ClientOverrides.Admin;
    }

    /// <summary>One entry per override of the client, named with its prefix; an override the policy refuses carries
    /// Kafka's message and counts as one error. Entries have no definition: the Java clients' ConfigDefs are not
    /// carried here.</summary>
    private (List<ConfigInfo> Entries, int Errors) ValidateClientOverrides(IReadOnlyDictionary<string, string?> config, string client)
    {
        var policy = ClientOverrides.PolicyName(workerConfig);
        var prefix = ClientOverrides.PrefixOf(client);
        var entries = new List<ConfigInfo>();
        var errors = 0;
        var requested = ClientOverrides.Requested(config, client);
        // Security settings librdkafka cannot take (JKS, Kerberos, handler classes) are refused here, before storing.
        var problems = new List<Kafka.KafkaSecurityConfig.Problem>();
        ClientOverrides.Translate(workerConfig, requested.ToDictionary(kv => kv.Key, kv => kv.Value), client, problems);
        foreach (var (key, value) in requested)
        {
            var messages = new List<string>();
            if (!ClientOverrides.IsAllowed(policy, key)) messages.Add(ClientOverrides.NotAllowedMessage(policy, key));
            messages.AddRange(problems.Where(p => p.Key == key).Select(p => $"{prefix}{p.Key}: {p.Message}"));
            if (messages.Count > 0) errors++;
            var shown = value is not null && Security.SecretNames.IsSecretName(key) ? Password.Hidden : value;
            entries.Add(new ConfigInfo(null, new ConfigValueInfo(prefix + key, shown, [], messages, true)));
        }
        return (entries, errors);
    }

    public static ConfigKeyInfo ToKeyInfo(ConfigKey key) => new(
        key.Name,
        key.Type.ToConnectName(),
        !key.HasDefault,
        key.HasDefault ? ConfigDef.ConvertToString(key.DefaultValue, key.Type) : null,
        key.Importance.ToConnectName(),
        key.Documentation ?? "",
        key.Group,
        key.Width.ToConnectName(),
        key.DisplayName ?? key.Name,
        key.Dependents.ToList(),
        key.OrderInGroup);

    /// <summary>The value re-stringified as Connect does (LIST joined with ",", PASSWORD hidden); a value without a
    /// known type is shown as given.</summary>
    public static ConfigValueInfo ToValueInfo(ConfigValue value, ConfigType? type) => new(
        value.Name,
        type is null ? (value.Value is null ? null : JavaValueText.Format(value.Value))
            : value.Value is string s && type != ConfigType.Password ? s : ConfigDef.ConvertToString(value.Value, type.Value),
        value.RecommendedValues.Select(v => (type is null ? JavaValueText.Format(v) : ConfigDef.ConvertToString(v, type == ConfigType.List ? ConfigType.String : type.Value)) ?? "").ToList(),
        value.ErrorMessages.ToList(),
        value.Visible);

    /// <summary>Java's Map.toString rendering ({k=v, k2=v2}) as Connect's messages use, with secrets masked.</summary>
    public static string FormatMap(IReadOnlyDictionary<string, string?> config) =>
        "{" + string.Join(", ", config.Select(kv => $"{kv.Key}={(LooksSecret(kv.Key) ? Password.Hidden : kv.Value ?? "null")}")) + "}";

    private static bool LooksSecret(string key) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || Security.SecretNames.IsSecretName(key);

    /// <summary>Connect's SinkConnectorConfig.validate: exactly one of topics and topics.regex, and the DLQ topic is not
    /// among the consumed ones.</summary>
    private static void ValidateSinkTopics(IReadOnlyDictionary<string, string?> config, Dictionary<string, ConfigValue> values)
    {
        var topicsRaw = config.GetValueOrDefault(ConnectorConfig.Topics);
        var regexRaw = config.GetValueOrDefault(ConnectorConfig.TopicsRegex);
        var hasTopics = !string.IsNullOrWhiteSpace(topicsRaw);
        var hasRegex = !string.IsNullOrWhiteSpace(regexRaw);
        var dlq = config.GetValueOrDefault(ConnectorConfig.DlqTopicName)?.Trim() ?? "";
        var topicsValue = values[ConnectorConfig.Topics];
        var regexValue = values[ConnectorConfig.TopicsRegex];
        if (hasTopics && hasRegex)
        {
            const string both = "topics and topics.regex are mutually exclusive options, but both are set.";
            topicsValue.AddErrorMessage(both);
            regexValue.AddErrorMessage(both);
        }
        if (!hasTopics && !hasRegex)
        {
            const string neither = "Must configure one of topics or topics.regex";
            topicsValue.AddErrorMessage(neither);
            regexValue.AddErrorMessage(neither);
        }
        System.Text.RegularExpressions.Regex? regex = null;
        if (hasRegex)
        {
            try { regex = new System.Text.RegularExpressions.Regex("^(?:" + regexRaw!.Trim() + ")$"); }
            catch (ArgumentException e) { regexValue.AddErrorMessage($"Invalid regular expression: {e.Message}"); }
        }
        if (dlq.Length == 0) return;
        if (hasTopics)
        {
            var topics = TopicCreationGroups.SplitList(topicsRaw);
            if (topics.Contains(dlq))
                topicsValue.AddErrorMessage($"The DLQ topic '{dlq}' may not be included in the list of topics ('topics=[{string.Join(", ", topics)}]') to be consumed.");
        }
        if (regex is not null && regex.IsMatch(dlq))
            regexValue.AddErrorMessage($"The DLQ topic '{dlq}' may not be included in the regex matching the topics ('topics.regex={regexRaw}') to be consumed.");
    }

    private static IEnumerable<string> AliasesOf(IReadOnlyDictionary<string, string?> config, string key) =>
        config.TryGetValue(key, out var list) && list is not null
            ? list.Split(',').Select(a => a.Trim()).Where(a => a.Length > 0).Distinct()
            : [];

    private static void AppendKeys(ConfigDef target, ConfigDef? source)
    {
        if (source is null) return;
        foreach (var key in source.Keys)
        {
            if (target.ConfigKeys.ContainsKey(key.Name)) continue;
            target.Define(key.Name, key.Type, key.HasDefault ? key.DefaultValue : ConfigDef.NoDefaultValue, key.Validator, key.Importance,
                key.Documentation ?? "", key.Group, key.OrderInGroup, key.Width, key.DisplayName, key.Dependents, key.Recommender);
        }
    }

    /// <summary>Checks a transforms.*.type / predicates.*.type value names a known plugin of that type.</summary>
    private sealed class PluginClassValidator(PluginRegistry plugins, PluginType type) : IValidator
    {
        public void EnsureValid(string name, object? value)
        {
            if (value is string s && plugins.Find(s, type) is null)
                throw new ConfigException(name, s, $"Class {s} could not be found.");
        }

        public override string ToString() => $"A {type.ToConnectName()} class";
    }
}
