using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Connect.Transforms.Predicates;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Grains.Config;

/// <summary>Validates a connector config the way Connect's herder does before storing it: framework keys,
/// transformation and predicate keys (enriched with each plugin's own ConfigDef), sink topic rules, then the
/// connector's own validation. The result is Connect's ConfigInfos.</summary>
public sealed class ConnectorConfigValidator(PluginRegistry plugins)
{
    public sealed record Result(ConfigInfos Infos, PluginDesc Connector, bool IsSink);

    /// <summary>Validates; throws BadRequestException when there is no connector.class or it names no known connector.</summary>
    public Result Validate(IReadOnlyDictionary<string, string?> config)
    {
        if (!config.TryGetValue(ConnectorConfig.ConnectorClass, out var className) || string.IsNullOrWhiteSpace(className))
            throw new BadRequestException($"Connector config {FormatMap(config)} contains no connector type");
        var desc = plugins.FindConnector(className)
            ?? throw new BadRequestException(
                $"Failed to find any class that implements Connector and which name matches {className}, available connectors are: " +
                string.Join(", ", plugins.Plugins.Where(p => p.Type is PluginType.Sink or PluginType.Source).Select(p => p.ClassName)));
        var isSink = desc.Type == PluginType.Sink;

        var frameworkDef = EnrichedFrameworkDef(isSink, config);
        var frameworkValues = frameworkDef.Validate(config);
        if (isSink) ValidateSinkTopics(config, frameworkValues);
        foreach (var (key, value) in config)
        {
            if (value is null && frameworkDef.ConfigKeys.ContainsKey(key))
                frameworkValues.First(v => v.Name == key).AddErrorMessage("Null value can not be supplied as the configuration value.");
        }

        var connector = plugins.Instantiate<Connector>(desc);
        var connectorDef = connector.Config;
        IReadOnlyList<ConfigValue> connectorValues;
        try
        {
            connectorValues = connector.Validate(config).ConfigValues;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new BadRequestException($"Connector {desc.ClassName} failed to validate its configuration: {e.Message}");
        }

        var configs = new List<ConfigInfo>();
        var groups = new List<string>();
        var errorCount = 0;
        // The connector's own keys come first, then framework keys it does not define (as Kafka lists them).
        foreach (var key in connectorDef.Keys)
        {
            var value = connectorValues.FirstOrDefault(v => v.Name == key.Name);
            configs.Add(new ConfigInfo(ToKeyInfo(key), value is null ? null : ToValueInfo(value, key.Type)));
            errorCount += value?.ErrorMessages.Count ?? 0;
            AddGroup(groups, key.Group);
        }
        foreach (var key in frameworkDef.Keys)
        {
            if (connectorDef.ConfigKeys.ContainsKey(key.Name)) continue;
            var value = frameworkValues.FirstOrDefault(v => v.Name == key.Name);
            configs.Add(new ConfigInfo(ToKeyInfo(key), value is null ? null : ToValueInfo(value, key.Type)));
            errorCount += value?.ErrorMessages.Count ?? 0;
            AddGroup(groups, key.Group);
        }
        // Connect lists the framework groups first.
        var ordered = frameworkDef.Groups.Concat(groups).Distinct().Where(g => groups.Contains(g) || frameworkDef.Groups.Contains(g)).ToList();
        return new Result(new ConfigInfos(className, errorCount, ordered, configs), desc, isSink);
    }

    /// <summary>Validates for storing: any error becomes Connect's 400 "Connector configuration is invalid…".</summary>
    public Result ValidateForStore(IReadOnlyDictionary<string, string?> config)
    {
        var result = Validate(config);
        if (result.Infos.ErrorCount > 0)
        {
            var messages = result.Infos.Configs
                .Where(c => c.Value is { Errors.Count: > 0 })
                .SelectMany(c => c.Value!.Errors.Select(e => $"{c.Value.Name}: {e}"));
            throw new BadRequestException(
                $"Connector configuration is invalid and contains the following {result.Infos.ErrorCount} error(s):\n" +
                string.Join("\n", messages) +
                "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
        }
        return result;
    }

    /// <summary>The framework ConfigDef plus transforms.&lt;alias&gt;.* and predicates.&lt;alias&gt;.* keys.</summary>
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
        return def;
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

    public static ConfigValueInfo ToValueInfo(ConfigValue value, ConfigType type) => new(
        value.Name,
        value.Value is string s && type != ConfigType.Password ? s : ConfigDef.ConvertToString(value.Value, type),
        value.RecommendedValues.Select(v => ConfigDef.ConvertToString(v, type) ?? "").ToList(),
        value.ErrorMessages.ToList(),
        value.Visible);

    /// <summary>Java's Map.toString rendering ({k=v, k2=v2}) as Connect's messages use, with secrets masked.</summary>
    public static string FormatMap(IReadOnlyDictionary<string, string?> config) =>
        "{" + string.Join(", ", config.Select(kv => $"{kv.Key}={(LooksSecret(kv.Key) ? Password.Hidden : kv.Value ?? "null")}")) + "}";

    private static bool LooksSecret(string key) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.Contains("sasl.jaas.config", StringComparison.OrdinalIgnoreCase);

    private static void ValidateSinkTopics(IReadOnlyDictionary<string, string?> config, List<ConfigValue> values)
    {
        var topics = config.TryGetValue(ConnectorConfig.Topics, out var t) ? t?.Trim() ?? "" : "";
        var regex = config.TryGetValue(ConnectorConfig.TopicsRegex, out var r) ? r?.Trim() ?? "" : "";
        var topicsValue = values.First(v => v.Name == ConnectorConfig.Topics);
        var regexValue = values.First(v => v.Name == ConnectorConfig.TopicsRegex);
        if (topics.Length == 0 && regex.Length == 0)
        {
            topicsValue.AddErrorMessage("Must configure one of topics or topics.regex");
            regexValue.AddErrorMessage("Must configure one of topics or topics.regex");
        }
        else if (topics.Length > 0 && regex.Length > 0)
        {
            topicsValue.AddErrorMessage("topics and topics.regex are mutually exclusive options, but both are set.");
            regexValue.AddErrorMessage("topics and topics.regex are mutually exclusive options, but both are set.");
        }
        if (regex.Length > 0)
        {
            try { _ = new System.Text.RegularExpressions.Regex(regex); }
            catch (ArgumentException e) { regexValue.AddErrorMessage($"Invalid regular expression: {e.Message}"); }
        }
        var dlq = config.TryGetValue(ConnectorConfig.DlqTopicName, out var d) ? d?.Trim() ?? "" : "";
        if (dlq.Length > 0 && topics.Split(',').Select(x => x.Trim()).Contains(dlq))
            topicsValue.AddErrorMessage($"The DLQ topic '{dlq}' may not be included in the list of topics ('topics={topics}') to be consumed.");
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

    private static void AddGroup(List<string> groups, string? group)
    {
        if (group is not null && !groups.Contains(group)) groups.Add(group);
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
