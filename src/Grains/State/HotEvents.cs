using System.Text.Json;

namespace Flexprice.Grains.State;

/// <summary>One logged event held in memory: time, log position, and its properties, parsed once (a query reads them without parsing).</summary>
public readonly record struct HotEvent(DateTime Timestamp, long Seq, JsonElement Properties);

/// <summary>
/// The customer's recent events, in memory, for real-time usage queries. Invariant: it holds every logged
/// event of the customer whose timestamp is at or after <see cref="From"/> (late events included), so a
/// query whose range starts there is answered from memory exactly as from the log. Bounded: <see cref="From"/>
/// moves forward with time (a period) and when more than a capacity of events is held. Not checkpointed:
/// rebuilt from the log when first needed.
/// </summary>
public sealed class HotEvents(DateTime from, int capacity)
{
    private readonly Dictionary<string, List<HotEvent>> _byName = new(StringComparer.Ordinal);
    private readonly HashSet<long> _seqs = [];

    public DateTime From { get; private set; } = from;

    public int Count => _seqs.Count;

    /// <summary>Holds the event when it is recent enough and not held yet (replays may offer an event twice).</summary>
    public void Add(long seq, string eventName, DateTime timestamp, JsonElement properties)
    {
        if (timestamp < From || !_seqs.Add(seq))
        {
            return;
        }

        if (!_byName.TryGetValue(eventName, out var list))
        {
            _byName[eventName] = list = [];
        }

        // A copy of its own, independent of the document it came from.
        var e = new HotEvent(timestamp, seq, properties.Clone());
        // Mostly appends; late events are inserted in place.
        var index = list.Count;
        while (index > 0 && Compare(list[index - 1], e) > 0)
        {
            index--;
        }

        list.Insert(index, e);
        if (Count > capacity)
        {
            ShrinkTo(capacity * 3 / 4);
        }
    }

    /// <summary>Forgets the events before <paramref name="from"/>; the invariant then holds from there.</summary>
    public void Advance(DateTime from)
    {
        if (from <= From)
        {
            return;
        }

        From = from;
        foreach (var list in _byName.Values)
        {
            var cut = 0;
            while (cut < list.Count && list[cut].Timestamp < from)
            {
                _seqs.Remove(list[cut].Seq);
                cut++;
            }

            list.RemoveRange(0, cut);
        }
    }

    /// <summary>The held events of one name with a timestamp in [start, end), in time order.</summary>
    public IEnumerable<HotEvent> Range(string eventName, DateTime start, DateTime end)
    {
        if (!_byName.TryGetValue(eventName, out var list))
        {
            yield break;
        }

        var low = LowerBound(list, start);
        for (var i = low; i < list.Count && list[i].Timestamp < end; i++)
        {
            yield return list[i];
        }
    }

    private void ShrinkTo(int keep)
    {
        var times = _byName.Values.SelectMany(l => l.Select(e => e.Timestamp)).OrderByDescending(t => t).ToList();
        var cut = times[Math.Min(keep, times.Count - 1)];
        // Everything at the cut's timestamp stays (the invariant is by timestamp); cut strictly after From.
        Advance(cut > From ? cut : From.AddTicks(1));
    }

    private static int LowerBound(List<HotEvent> list, DateTime start)
    {
        int low = 0, high = list.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (list[mid].Timestamp < start)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private static int Compare(HotEvent a, HotEvent b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Seq.CompareTo(b.Seq);
}
