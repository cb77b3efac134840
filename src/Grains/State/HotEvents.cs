using System.Runtime.InteropServices;
using System.Text.Json;

namespace Flexprice.Grains.State;

/// <summary>One logged event held in memory: time, log position, and its properties, parsed once (a query reads them without parsing).</summary>
public readonly record struct HotEvent(DateTime Timestamp, long Seq, JsonElement Properties);

/// <summary>
/// The customer's recent events, in memory, for real-time usage queries. Invariant: it holds every logged
/// event of the customer whose timestamp is at or after <see cref="From"/> (late events included), so a
/// query whose range starts there is answered from memory exactly as from the log. Bounded: <see cref="From"/>
/// moves forward with time (a period), and when more than <paramref name="capacity"/> events or
/// <paramref name="maxBytes"/> bytes are held, or the silo's <paramref name="budget"/> is exceeded. Not
/// checkpointed: rebuilt from the log when first needed. <see cref="Release"/> gives its bytes back to the budget.
/// </summary>
public sealed class HotEvents(DateTime from, int capacity, long maxBytes = long.MaxValue, HotEventsBudget? budget = null)
{
    // What one held event costs besides its properties' JSON: the entry, its list slot, the set entry and
    // the cloned document's bookkeeping (measured roughly; the JSON itself is counted twice, text and metadata).
    private const int Overhead = 96;

    private readonly Dictionary<string, List<HotEvent>> _byName = new(StringComparer.Ordinal);
    private readonly HashSet<long> _seqs = [];

    public DateTime From { get; private set; } = from;

    public int Count => _seqs.Count;

    /// <summary>The estimated bytes held.</summary>
    public long Bytes { get; private set; }

    /// <summary>Gives every held byte back to the silo's budget (the grain is going away) and holds nothing more.</summary>
    public void Release()
    {
        budget?.Give(Bytes);
        Bytes = 0;
        _byName.Clear();
        _seqs.Clear();
        From = DateTime.MaxValue;
    }

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
        Tally(SizeOf(e));
        if (Count > capacity)
        {
            ShrinkTo(capacity * 3 / 4);
        }

        while (Count > 0 && Bytes > maxBytes)
        {
            ShrinkTo(Count * 3 / 4);
        }

        if (budget is { IsExceeded: true } && Count > 0)
        {
            ShrinkTo(Count / 2);
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
                Tally(-SizeOf(list[cut]));
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

    private static long SizeOf(HotEvent e) => Overhead + (2L * JsonMarshal.GetRawUtf8Value(e.Properties).Length);

    private void Tally(long bytes)
    {
        Bytes += bytes;
        if (bytes > 0)
        {
            budget?.Take(bytes);
        }
        else
        {
            budget?.Give(-bytes);
        }
    }

    /// <summary>Moves <see cref="From"/> forward so that about <paramref name="keep"/> of the newest events stay; always forgets at least one.</summary>
    private void ShrinkTo(int keep)
    {
        var times = _byName.Values.SelectMany(l => l.Select(e => e.Timestamp)).OrderByDescending(t => t).ToList();
        var cut = times[Math.Clamp(keep, 0, times.Count - 1)];
        var before = Count;
        // Everything at the cut's timestamp stays (the invariant is by timestamp); cut strictly after From.
        Advance(cut > From ? cut : From.AddTicks(1));
        if (Count == before)
        {
            // All held events share the cut's timestamp: past it.
            Advance(cut.AddTicks(1));
        }
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
