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

    /// <summary>Builds the chain from transforms.* and predicates.* keys as Connect does; throws ConfigException
    /// naming the bad key. A transform gets its transforms.&lt;alias&gt;.* keys (prefix stripped, "type" included,
    /// "predicate" and "negate" removed); a predicate its predicates.&lt;alias&gt;.* keys.</summary>
    public static TransformationChain<R> Create(PluginRegistry plugins, IReadOnlyDictionary<string, string> config)
    {
        var stages = new List<Stage>();
        var predicateAliases = Aliases(config, ConnectorConfig.Predicates);
        foreach (var alias in Aliases(config, ConnectorConfig.Transforms))
        {
            var prefix = $"transforms.{alias}.";
            var typeKey = prefix + "type";
            var transformation = Instantiate<ITransformation<R>>(plugins, config, typeKey, PluginType.Transformation, "Transformation");
            var settings = Prefixed(config, prefix);
            settings.Remove("predicate", out var predicateAlias);
            var hasNegate = settings.Remove("negate", out var negateText);
            IPredicate<R>? predicate = null;
            if (!string.IsNullOrWhiteSpace(predicateAlias))
            {
                var name = predicateAlias.Trim();
                if (!predicateAliases.Contains(name))
                    throw new ConfigException($"Unknown configuration 'predicates.{name}.type'");
                predicate = Instantiate<IPredicate<R>>(plugins, config, $"predicates.{name}.type", PluginType.Predicate, "Predicate");
                predicate.Configure(Prefixed(config, $"predicates.{name}."));
            }
            else if (hasNegate)
            {
                throw new ConfigException(typeKey, config.GetValueOrDefault(typeKey),
                    $"Config '{prefix}negate' was provided but there is no config '{prefix}predicate' defining a predicate to be negated.");
            }
            var negate = false;
            if (hasNegate)
            {
                var text = negateText?.Trim() ?? "";
                if (!bool.TryParse(text, out negate))
                    throw new ConfigException(prefix + "negate", negateText, "Expected value to be either true or false");
            }
            transformation.Configure(settings);
            stages.Add(new Stage(alias, transformation, predicate, negate));
        }
        return new TransformationChain<R>(stages);
    }

    private static T Instantiate<T>(PluginRegistry plugins, IReadOnlyDictionary<string, string> config, string typeKey, PluginType type, string kind) where T : class
    {
        var cls = config.GetValueOrDefault(typeKey)?.Trim()
            ?? throw new ConfigException($"Missing required configuration \"{typeKey}\" which has no default value.");
        var desc = plugins.Find(cls, type);
        if (desc is null)
        {
            if (plugins.FindAny(cls) is not null) throw new ConfigException(typeKey, cls, "Not a " + kind);
            throw new ConfigException(typeKey, cls, $"Class {cls} could not be found.");
        }
        return plugins.Instantiate<T>(desc, typeof(R));
    }

    /// <summary>The aliases of a LIST key (kept in order; empty entries kept, as Connect does); a duplicate is an error.</summary>
    private static List<string> Aliases(IReadOnlyDictionary<string, string> config, string key)
    {
        if (!config.TryGetValue(key, out var list) || list.Trim().Length == 0) return [];
        var aliases = list.Split(',').Select(a => a.Trim()).ToList();
        if (aliases.Distinct().Count() != aliases.Count)
            throw new ConfigException(key, "[" + string.Join(", ", aliases) + "]", "Duplicate alias provided.");
        return aliases;
    }

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
