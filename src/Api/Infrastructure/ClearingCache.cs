using System.Collections.Concurrent;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// A concurrent map that holds at most about <c>capacity</c> entries: once past it, it empties and
/// fills again. For values that are cheap to make again and costly to make every time (grain
/// references, customers known to exist), where an occasional miss is fine and eviction bookkeeping
/// is not worth its cost. The count is kept here: <see cref="ConcurrentDictionary{TKey,TValue}.Count"/>
/// takes every lock of the dictionary.
/// </summary>
public sealed class ClearingCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new();
    private int _count;

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public bool ContainsKey(TKey key) => _entries.ContainsKey(key);

    public void Add(TKey key, TValue value)
    {
        // A key already held (most adds on a hot path) costs one lookup: no lock, and a full cache is not emptied for it.
        if (_entries.ContainsKey(key))
        {
            return;
        }

        if (Volatile.Read(ref _count) >= capacity)
        {
            _entries.Clear();
            Volatile.Write(ref _count, 0);
        }

        if (_entries.TryAdd(key, value))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Adds, or replaces what the key holds.</summary>
    public void Set(TKey key, TValue value)
    {
        if (_entries.ContainsKey(key))
        {
            _entries[key] = value;
            return;
        }

        Add(key, value);
    }
}
