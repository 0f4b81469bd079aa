using OrleansConnect.Connect.Data;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>
/// A small thread-safe LRU map from an input schema to the schema an SMT derived from it (Kafka keeps 16), so
/// schemas are not rebuilt per record. Schemas compare by value and cache their hash, so lookups are cheap.
/// </summary>
public sealed class SchemaUpdateCache<TValue>(int capacity = 16) where TValue : class
{
    private readonly LinkedList<(Schema Key, TValue Value)> _order = new();
    private readonly Dictionary<Schema, LinkedListNode<(Schema Key, TValue Value)>> _map = new();
    private readonly Lock _lock = new();

    public TValue? Get(Schema key)
    {
        lock (_lock)
        {
            if (!_map.TryGetValue(key, out var node)) return null;
            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Value;
        }
    }

    public void Put(Schema key, TValue value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                _order.Remove(existing);
                _map.Remove(key);
            }
            var node = _order.AddFirst((key, value));
            _map[key] = node;
            while (_map.Count > capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
            }
        }
    }

    /// <summary>The cached value for <paramref name="key"/>, built (and cached) when absent.</summary>
    public TValue GetOrAdd(Schema key, Func<Schema, TValue> build)
    {
        var cached = Get(key);
        if (cached is not null) return cached;
        var built = build(key);
        Put(key, built);
        return built;
    }

    public int Count
    {
        get
        {
            lock (_lock) return _map.Count;
        }
    }
}
