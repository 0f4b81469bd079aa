using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Connect.Transforms.Predicates;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Errors;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Grains.Worker;

/// <summary>The connector's transforms in order, each optionally guarded by a (possibly negated) predicate.
/// A transformation returning null drops the record and ends the chain. Run by a task through the
/// <see cref="RetryWithToleranceOperator"/>: each stage (predicate test and transformation) is one TRANSFORMATION
/// operation executed by the transformation's class.</summary>
public sealed class TransformationChain<R> : IDisposable where R : ConnectRecord
{
    /// <summary>One transformation with its predicate (Connect's TransformationStage).</summary>
    private sealed record TransformationStage(string Alias, string ClassName, ITransformation<R> Transformation, IPredicate<R>? Predicate, bool Negate)
    {
        public R? Apply(R record) =>
            Predicate is not null && Predicate.Test(record) == Negate ? record : Transformation.Apply(record);
    }

    private readonly List<TransformationStage> _stages;

    private TransformationChain(List<TransformationStage> stages) => _stages = stages;

    public bool IsEmpty => _stages.Count == 0;

    /// <summary>Applies every stage; exceptions propagate.</summary>
    public R? Apply(R record)
    {
        R? current = record;
        foreach (var stage in _stages)
        {
            current = stage.Apply(current);
            if (current is null) return null;
        }
        return current;
    }

    /// <summary>Applies every stage through <paramref name="retryWithToleranceOperator"/>. Null when a stage dropped
    /// the record, or when a stage failed and the failure was tolerated (<see cref="ProcessingContext.Failed"/>).</summary>
    public async ValueTask<R?> ApplyAsync(R record, ProcessingContext context, RetryWithToleranceOperator retryWithToleranceOperator, CancellationToken cancellationToken)
    {
        R? current = record;
        foreach (var stage in _stages)
        {
            var input = current;
            current = await retryWithToleranceOperator.ExecuteAsync(context, () => stage.Apply(input), Stage.Transformation, stage.ClassName, cancellationToken);
            if (current is null) return null;
        }
        return current;
    }

    /// <summary>Builds the chain from transforms.* and predicates.* keys as Connect does; throws ConfigException
    /// naming the bad key. A transform gets its transforms.&lt;alias&gt;.* keys (prefix stripped, "type" included,
    /// "predicate" and "negate" removed); a predicate its predicates.&lt;alias&gt;.* keys. A ConfigException a
    /// transformation or predicate throws from Configure is re-thrown naming the full key.</summary>
    public static TransformationChain<R> Create(PluginRegistry plugins, IReadOnlyDictionary<string, string> config)
    {
        var stages = new List<TransformationStage>();
        try
        {
            var predicateAliases = Aliases(config, ConnectorConfig.Predicates);
            foreach (var alias in Aliases(config, ConnectorConfig.Transforms))
            {
                var prefix = $"transforms.{alias}.";
                var typeKey = prefix + "type";
                var (transformation, className) = Instantiate<ITransformation<R>>(plugins, config, typeKey, PluginType.Transformation, "Transformation");
                var settings = config.WithPrefixStripped(prefix);
                settings.Remove("predicate", out var predicateAlias);
                var hasNegate = settings.Remove("negate", out var negateText);
                IPredicate<R>? predicate = null;
                if (!string.IsNullOrWhiteSpace(predicateAlias))
                {
                    var name = predicateAlias.Trim();
                    if (!predicateAliases.Contains(name))
                        throw new ConfigException($"Unknown configuration 'predicates.{name}.type'");
                    (predicate, _) = Instantiate<IPredicate<R>>(plugins, config, $"predicates.{name}.type", PluginType.Predicate, "Predicate");
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
                stages.Add(new TransformationStage(alias, className, transformation, predicate, negate));
                if (predicate is not null)
                {
                    var predicatePrefix = $"predicates.{predicateAlias!.Trim()}.";
                    Configure(predicatePrefix, () => predicate.Configure(config.WithPrefixStripped(predicatePrefix)));
                }
                Configure(prefix, () => transformation.Configure(settings));
            }
        }
        catch
        {
            foreach (var stage in stages)
            {
                try { stage.Transformation.Close(); stage.Predicate?.Close(); }
                catch (Exception) { /* the configuration error is what the caller needs to see */ }
            }
            throw;
        }
        return new TransformationChain<R>(stages);
    }

    /// <summary>Runs a plugin's Configure; its ConfigException names a key without the plugin's prefix, which is
    /// put back so the error names the connector config's key. Other failures become ConfigExceptions too.</summary>
    private static void Configure(string prefix, Action configure)
    {
        try
        {
            configure();
        }
        catch (ConfigException e) when (e.Name is null)
        {
            throw new ConfigException($"Invalid configuration under {prefix}*: {e.Message}");
        }
        catch (ConfigException e) when (!e.Name!.StartsWith(prefix, StringComparison.Ordinal))
        {
            var head = new ConfigException(e.Name, e.Value).Message;
            var detail = e.Message.StartsWith(head, StringComparison.Ordinal) && e.Message.Length > head.Length + 2 ? e.Message[(head.Length + 2)..] : null;
            throw new ConfigException(prefix + e.Name, e.Value, detail);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or Connect.Errors.ConnectException)
        {
            throw new ConfigException($"Invalid configuration under {prefix}*: {e.Message}");
        }
    }

    private static (T Instance, string ClassName) Instantiate<T>(PluginRegistry plugins, IReadOnlyDictionary<string, string> config, string typeKey, PluginType type, string kind) where T : class
    {
        var cls = config.GetValueOrDefault(typeKey)?.Trim()
            ?? throw new ConfigException($"Missing required configuration \"{typeKey}\" which has no default value.");
        var desc = plugins.Find(cls, type);
        if (desc is null)
        {
            if (plugins.FindAny(cls) is not null) throw new ConfigException(typeKey, cls, "Not a " + kind);
            throw new ConfigException(typeKey, cls, $"Class {cls} could not be found.");
        }
        return (plugins.Instantiate<T>(desc, typeof(R)), desc.ClassName);
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

    public void Dispose()
    {
        foreach (var stage in _stages)
        {
            stage.Transformation.Close();
            stage.Predicate?.Close();
        }
    }
}
