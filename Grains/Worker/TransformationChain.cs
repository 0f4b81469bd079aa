using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Connect.Transforms.Predicates;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Grains.Worker;

/// <summary>The connector's transforms in order, each optionally guarded by a (possibly negated) predicate.
/// A transformation returning null drops the record and ends the chain.</summary>
public sealed class TransformationChain<R> : IDisposable where R : ConnectRecord
{
    private sealed record Stage(string Alias, ITransformation<R> Transformation, IPredicate<R>? Predicate, bool Negate);

    private readonly List<Stage> _stages;

    private TransformationChain(List<Stage> stages) => _stages = stages;

    public bool IsEmpty => _stages.Count == 0;

    public R? Apply(R record)
    {
        R? current = record;
        foreach (var stage in _stages)
        {
            if (stage.Predicate is not null && stage.Predicate.Test(current) == stage.Negate) continue;
            current = stage.Transformation.Apply(current);
            if (current is null) return null;
        }
        return current;
    }

    /// <summary>Builds the chain from transforms.* and predicates.* keys; throws ConfigException naming the bad key.</summary>
    public static TransformationChain<R> Create(PluginRegistry plugins, IReadOnlyDictionary<string, string> config)
    {
        var stages = new List<Stage>();
        var predicates = new Dictionary<string, IPredicate<R>>(StringComparer.Ordinal);
        foreach (var alias in Aliases(config, ConnectorConfig.Predicates))
        {
            var typeKey = $"predicates.{alias}.type";
            var cls = config.GetValueOrDefault(typeKey)
                ?? throw new ConfigException(typeKey, null, "Missing required configuration \"" + typeKey + "\" which has no default value.");
            var desc = plugins.Find(cls, PluginType.Predicate) ?? throw new ConfigException(typeKey, cls, $"Class {cls} could not be found.");
            var predicate = plugins.Instantiate<IPredicate<R>>(desc, typeof(R));
            predicate.Configure(Prefixed(config, $"predicates.{alias}."));
            predicates[alias] = predicate;
        }
        foreach (var alias in Aliases(config, ConnectorConfig.Transforms))
        {
            var prefix = $"transforms.{alias}.";
            var typeKey = prefix + "type";
            var cls = config.GetValueOrDefault(typeKey)
                ?? throw new ConfigException(typeKey, null, "Missing required configuration \"" + typeKey + "\" which has no default value.");
            var desc = plugins.Find(cls, PluginType.Transformation) ?? throw new ConfigException(typeKey, cls, $"Class {cls} could not be found.");
            var transformation = plugins.Instantiate<ITransformation<R>>(desc, typeof(R));
            var settings = Prefixed(config, prefix);
            settings.Remove("type");
            IPredicate<R>? predicate = null;
            if (settings.Remove("predicate", out var predicateAlias) && !string.IsNullOrWhiteSpace(predicateAlias))
            {
                predicate = predicates.GetValueOrDefault(predicateAlias.Trim())
                    ?? throw new ConfigException(prefix + "predicate", predicateAlias, "Predicate '" + predicateAlias + "' is not defined in the predicates list.");
            }
            var negate = settings.Remove("negate", out var negateText) && bool.TryParse(negateText?.Trim(), out var n) && n;
            transformation.Configure(settings);
            stages.Add(new Stage(alias, transformation, predicate, negate));
        }
        return new TransformationChain<R>(stages);
    }

    private static IEnumerable<string> Aliases(IReadOnlyDictionary<string, string> config, string key) =>
        config.TryGetValue(key, out var list) ? list.Split(',').Select(a => a.Trim()).Where(a => a.Length > 0).Distinct() : [];

    private static Dictionary<string, string?> Prefixed(IReadOnlyDictionary<string, string> config, string prefix) =>
        config.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => (string?)kv.Value);

    public void Dispose()
    {
        foreach (var stage in _stages)
        {
            stage.Transformation.Close();
            stage.Predicate?.Close();
        }
    }
}
