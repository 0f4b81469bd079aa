using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using OrleansConnect.Api.Models;

namespace OrleansConnect.Api.Logging;

/// <summary>The state behind <see cref="ILoggerLevels"/>: the levels configuration gives (provider-independent
/// Logging:LogLevel rules), the levels set through the API, when each changed, and the known loggers.
/// Levels set through the API are turned into <see cref="LoggerFilterRule"/>s appended after configuration's,
/// so Microsoft.Extensions.Logging itself filters by them; firing the change token makes the logger factory
/// rebuild its filters.</summary>
internal sealed class LoggerLevelStore(TimeProvider time) : IOptionsChangeTokenSource<LoggerFilterOptions>
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LogLevel> _overrides = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastModified = new(StringComparer.Ordinal);
    private List<KeyValuePair<string, LogLevel>> _configured = [];
    private Dictionary<string, LogLevel> _configuredByName = new(StringComparer.Ordinal);
    private string[] _providerNames = [];
    private LogLevel _configuredRoot = LogLevel.Information;
    private LogLevel? _rootOverride;
    private long? _rootLastModified;
    private CancellationTokenSource _changed = new();

    public string Name => Options.DefaultName;

    public IChangeToken GetChangeToken()
    {
        lock (_gate)
            return new CancellationChangeToken(_changed.Token);
    }

    public void RecordLogger(string category)
    {
        lock (_gate)
            _created.Add(category);
    }

    /// <summary>Learns configuration's levels from the rules built so far, then appends the API's rules.</summary>
    public void Apply(LoggerFilterOptions options)
    {
        lock (_gate)
        {
            var configured = new List<KeyValuePair<string, LogLevel>>();
            var providers = new HashSet<string>(StringComparer.Ordinal);
            LogLevel? root = null;
            foreach (var rule in options.Rules)
            {
                if (rule.ProviderName is not null)
                {
                    providers.Add(rule.ProviderName);
                    continue;
                }
                if (rule.LogLevel is not { } level)
                    continue;
                if (rule.CategoryName is null)
                    root = level;
                else
                    configured.Add(new(rule.CategoryName, level));
            }

            _configured = configured;
            _configuredByName = new Dictionary<string, LogLevel>(StringComparer.Ordinal);
            foreach (var (category, level) in configured)
                _configuredByName[category] = level; // the later rule wins, as in the rule selector
            _configuredRoot = root ?? options.MinLevel;
            _providerNames = [.. providers];

            // A provider-specific rule always beats a provider-less one, so an API level is repeated for every
            // provider configuration mentions; appended last, it wins among rules of the same category length.
            if (_rootOverride is { } rootLevel)
            {
                options.MinLevel = rootLevel;
                AddRules(options, null, rootLevel);
            }
            foreach (var (category, level) in _overrides)
                AddRules(options, category, level);
        }
    }

    private void AddRules(LoggerFilterOptions options, string? category, LogLevel level)
    {
        options.Rules.Add(new LoggerFilterRule(null, category, level, null));
        foreach (var provider in _providerNames)
            options.Rules.Add(new LoggerFilterRule(provider, category, level, null));
    }

    public SortedDictionary<string, LoggerLevel> AllLevels()
    {
        lock (_gate)
        {
            var result = new SortedDictionary<string, LoggerLevel>(StringComparer.Ordinal);
            foreach (var name in _configuredByName.Keys.Concat(_overrides.Keys))
                result[name] = Describe(name, ExplicitLevel(name)!.Value);
            result[ILoggerLevels.RootLoggerName] = new LoggerLevel(Log4jLevels.Name(RootLevel), _rootLastModified);
            return result;
        }
    }

    public LoggerLevel? Level(string name)
    {
        lock (_gate)
        {
            if (IsRoot(name))
                return new LoggerLevel(Log4jLevels.Name(RootLevel), _rootLastModified);
            if (!IsKnown(name))
                return null;
            return Describe(name, CurrentLevel(name));
        }
    }

    public List<string> SetLevel(string @namespace, LogLevel level)
    {
        var changed = false;
        List<string> affected;
        lock (_gate)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var setRoot = IsRoot(@namespace);
            var loggers = KnownNames().Where(n => setRoot || n.StartsWith(@namespace, StringComparison.Ordinal)).ToList();
            if (!setRoot && !loggers.Contains(@namespace, StringComparer.Ordinal))
                loggers.Add(@namespace);

            // Whether a logger changes is decided against the levels before this request, so the outcome does
            // not depend on the order the loggers are visited in.
            var before = loggers.ToDictionary(n => n, CurrentLevel, StringComparer.Ordinal);
            var rootBefore = RootLevel;

            if (!setRoot)
                _created.Add(@namespace); // Connect creates the namespace logger
            foreach (var name in loggers)
            {
                if (before[name] == level)
                    continue;
                _overrides[name] = level;
                _lastModified[name] = now;
                changed = true;
            }
            if (setRoot && rootBefore != level)
            {
                _rootOverride = level;
                _rootLastModified = now;
                changed = true;
            }

            affected = loggers;
            if (setRoot)
                affected.Add(ILoggerLevels.RootLoggerName);
            affected.Sort(StringComparer.Ordinal);
        }

        if (changed)
            NotifyChanged();
        return affected;
    }

    private void NotifyChanged()
    {
        CancellationTokenSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new CancellationTokenSource();
        }
        // Synchronously rebuilds LoggerFilterOptions (running Apply) and the logger factory's filters.
        previous.Cancel();
    }

    private static bool IsRoot(string name) =>
        string.Equals(name, ILoggerLevels.RootLoggerName, StringComparison.OrdinalIgnoreCase);

    private LogLevel RootLevel => _rootOverride ?? _configuredRoot;

    private IEnumerable<string> KnownNames() =>
        _created.Concat(_configuredByName.Keys).Concat(_overrides.Keys).Distinct(StringComparer.Ordinal);

    private bool IsKnown(string name) =>
        _created.Contains(name) || _configuredByName.ContainsKey(name) || _overrides.ContainsKey(name);

    private LoggerLevel Describe(string name, LogLevel level) =>
        new(Log4jLevels.Name(level), _lastModified.TryGetValue(name, out var at) ? at : null);

    private LogLevel? ExplicitLevel(string name) =>
        _overrides.TryGetValue(name, out var set) ? set
        : _configuredByName.TryGetValue(name, out var configured) ? configured
        : null;

    /// <summary>The explicit level, else the level of the rule the logging framework would pick for this category
    /// (longest matching category prefix; the later rule on a tie, API rules coming after configuration's), else root.</summary>
    private LogLevel CurrentLevel(string name)
    {
        if (ExplicitLevel(name) is { } level)
            return level;

        string? best = null;
        var bestLevel = RootLevel;
        foreach (var (category, ruleLevel) in _configured.Concat(_overrides))
        {
            if (!CategoryMatches(category, name))
                continue;
            if (best is not null && best.Length > category.Length)
                continue;
            best = category;
            bestLevel = ruleLevel;
        }
        return bestLevel;
    }

    // The logging framework's category matching: a prefix, case-insensitive, with at most one '*' wildcard.
    private static bool CategoryMatches(string rule, string category)
    {
        var wildcard = rule.IndexOf('*');
        if (wildcard < 0)
            return category.StartsWith(rule, StringComparison.OrdinalIgnoreCase);
        var prefix = rule.AsSpan(0, wildcard);
        var suffix = rule.AsSpan(wildcard + 1);
        return category.Length >= prefix.Length + suffix.Length
            && category.AsSpan().StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && category.AsSpan().EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
    }
}
