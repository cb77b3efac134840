using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>
/// Usage over a range as a streaming fold: events are added one at a time and only running aggregates are held (per
/// bucket and group, for the whole range and for each window), never the events. When the events come in time order
/// (<c>ordered</c>), a bucket's or a window's aggregates are summed up and dropped as soon as a later one begins, so
/// memory is bounded by the groups of one bucket; otherwise every bucket is held until the end (the grain's recent
/// events, already bounded).
/// An answer holds at most <see cref="MaxWindows"/> windows and <see cref="MaxGroups"/> group values, and a
/// COUNT_UNIQUE at most <see cref="MaxDistinctValues"/> distinct values at once; past that it throws
/// <see cref="UsageLimitExceededException"/> (HTTP 400 naming the field to change).
/// Semantics are <see cref="UsageCalculator"/>'s: events outside the range, not matching the filters, or without a
/// usable value do not count; a bucketed or grouped meter's value is the sum of its buckets' and groups' values.
/// </summary>
public sealed class UsageFold
{
    public const int MaxWindows = 10_000;
    public const int MaxGroups = 10_000;
    public const int MaxDistinctValues = 1_000_000;

    private readonly Meter _meter;
    private readonly UsageRange _range;
    private readonly bool _ordered;
    private readonly WindowCalendar? _buckets;
    private readonly WindowCalendar? _windowCalendar;
    private readonly Part _total;
    private readonly Dictionary<DateTime, Part> _windows = [];
    private readonly List<UsageWindow> _sealedWindows = [];
    private readonly HashSet<string>? _groups;
    private Part? _currentWindow;
    private DateTime _last = DateTime.MinValue;
    private long _count;
    private int _distinct;

    /// <param name="ordered">The events will come in time order (checked): buckets and windows are dropped once summed up.</param>
    public UsageFold(Meter meter, UsageRange range, bool ordered)
    {
        _meter = meter;
        _range = range;
        _ordered = ordered;
        _buckets = meter.BucketSize is { } bucket ? new WindowCalendar(bucket, range.Zone, range.BillingAnchor) : null;
        if (range.Window is { } size)
        {
            _windowCalendar = new WindowCalendar(size, range.Zone, range.BillingAnchor);
            CheckWindows(_windowCalendar, range);
        }

        _groups = meter.GroupBy is null ? null : new HashSet<string>(StringComparer.Ordinal);
        _total = new Part(this, range.Start, range.End);
    }

    /// <summary>Throws <see cref="UsageLimitExceededException"/> when the range holds more than <see cref="MaxWindows"/> windows.</summary>
    public static void CheckWindows(UsageRange range)
    {
        if (range.Window is { } size)
        {
            CheckWindows(new WindowCalendar(size, range.Zone, range.BillingAnchor), range);
        }
    }

    private static void CheckWindows(WindowCalendar calendar, UsageRange range)
    {
        var windows = 0;
        foreach (var _ in calendar.Windows(range.Start, range.End))
        {
            if (++windows > MaxWindows)
            {
                throw new UsageLimitExceededException(
                    "window_size",
                    $"Invalid field: window_size: the range holds more than {MaxWindows} windows of {calendar.Size.ToWireName()}; choose a larger window_size or a shorter range");
            }
        }
    }

    public void Add(in UsageEvent e)
    {
        if (e.Timestamp < _range.Start || e.Timestamp >= _range.End || !_meter.Accepts(e.Properties) || !UsageInput.TryRead(_meter, e, out var item))
        {
            return;
        }

        if (_ordered)
        {
            if (item.Timestamp < _last)
            {
                throw new InvalidOperationException("An ordered usage fold was given an event earlier than the one before.");
            }

            _last = item.Timestamp;
        }

        if (_groups is not null && _groups.Count < MaxGroups + 1 && _groups.Add(item.Group) && _groups.Count > MaxGroups)
        {
            throw new UsageLimitExceededException(
                "group_by",
                $"Invalid field: group_by: '{ErrorText(_meter.GroupBy!)}' has more than {MaxGroups} values in the range; narrow the range or the filters");
        }

        _count++;
        var bucket = _buckets?.Floor(item.Timestamp);
        _total.Add(item, bucket);
        if (_windowCalendar is { } calendar)
        {
            WindowOf(calendar, item.Timestamp).Add(item, bucket);
        }
    }

    public UsageAnswer Result()
    {
        var windows = new List<UsageWindow>(_sealedWindows);
        if (_currentWindow is { } current)
        {
            windows.Add(current.Window());
        }

        foreach (var part in _windows.Values.OrderBy(p => p.Start))
        {
            windows.Add(part.Window());
        }

        return new UsageAnswer(_total.Value(), _count, [.. windows]);
    }

    private Part WindowOf(WindowCalendar calendar, DateTime timestamp)
    {
        var start = calendar.Floor(timestamp);
        if (_ordered)
        {
            if (_currentWindow is { } current && current.Start == start)
            {
                return current;
            }

            if (_currentWindow is { } done)
            {
                _sealedWindows.Add(done.Window());
                done.Release();
            }

            return _currentWindow = new Part(this, start, calendar.Next(start));
        }

        if (!_windows.TryGetValue(start, out var part))
        {
            _windows[start] = part = new Part(this, start, calendar.Next(start));
        }

        return part;
    }

    private void Distinct(int added)
    {
        _distinct += added;
        if (_distinct > MaxDistinctValues)
        {
            throw new UsageLimitExceededException(
                "aggregation_type",
                $"Invalid query: COUNT_UNIQUE over more than {MaxDistinctValues} distinct values of '{ErrorText(_meter.Field ?? "")}' at once; narrow the range or use smaller windows");
        }
    }

    private static string ErrorText(string value) => value.Length <= 128 ? value : value[..128] + "…";


    /// <summary>
    /// The aggregate over one period (the range, or one window): a cell per (bucket, group) that has events, in the
    /// order they appeared; in an ordered fold, the cells of a finished bucket are summed into <see cref="_sealed"/> and dropped.
    /// </summary>
    private sealed class Part(UsageFold fold, DateTime start, DateTime end)
    {
        private readonly Dictionary<(DateTime? Bucket, string Group), Cell> _cells = [];
        private readonly DateTime _periodEnd = end < fold._range.End ? end : fold._range.End;
        private readonly decimal _span = ((end < fold._range.End ? end : fold._range.End) - (start > fold._range.Start ? start : fold._range.Start)).Ticks;
        private DateTime? _bucket;
        private decimal _sealed;
        private long _count;

        public DateTime Start { get; } = start;

        public DateTime End { get; } = end;

        private bool Combined => fold._buckets is not null || fold._meter.GroupBy is not null;

        public void Add(in UsageInput item, DateTime? bucket)
        {
            _count++;
            if (fold._ordered && bucket != _bucket)
            {
                // Time order: every cell held belongs to an earlier bucket, and no event of it is still to come.
                foreach (var cell in _cells.Values)
                {
                    _sealed += cell.Value(fold._meter).Number;
                }

                Release();
                _bucket = bucket;
            }

            var key = (bucket, item.Group);
            if (!_cells.TryGetValue(key, out var target))
            {
                _cells[key] = target = new Cell();
            }

            fold.Distinct(target.Add(fold._meter, item, _periodEnd, _span));
        }

        public UsageValue Value()
        {
            if (!Combined)
            {
                return _cells.Count == 0 ? UsageValue.Of(0m) : _cells.Values.First().Value(fold._meter);
            }

            var sum = _sealed;
            foreach (var cell in _cells.Values)
            {
                sum += cell.Value(fold._meter).Number;
            }

            return UsageValue.Of(sum);
        }

        public UsageWindow Window() => new(Start, End, Value(), _count);

        /// <summary>Drops the cells (their distinct values no longer count against the limit).</summary>
        public void Release()
        {
            foreach (var cell in _cells.Values)
            {
                fold._distinct -= cell.DistinctCount;
            }

            _cells.Clear();
        }
    }

    /// <summary>One aggregation's running state over the events of a (bucket, group) in a period.</summary>
    private sealed class Cell
    {
        private long _count;
        private decimal _sum;
        private decimal _max;
        private decimal _min;
        private HashSet<string>? _distinct;
        private UsageInput _latest;
        private decimal _weighted;

        public int DistinctCount => _distinct?.Count ?? 0;

        /// <summary>Takes the item; answers how many distinct values it added (0 or 1).</summary>
        public int Add(Meter meter, in UsageInput item, DateTime periodEnd, decimal span)
        {
            var first = _count == 0;
            _count++;
            switch (meter.Aggregation)
            {
                case AggregationType.Sum or AggregationType.SumWithMultiplier or AggregationType.Avg:
                    _sum += item.Number;
                    break;
                case AggregationType.Max:
                    _max = first || item.Number > _max ? item.Number : _max;
                    break;
                case AggregationType.Min:
                    _min = first || item.Number < _min ? item.Number : _min;
                    break;
                case AggregationType.CountUnique:
                    return (_distinct ??= new HashSet<string>(StringComparer.Ordinal)).Add(item.Key!) ? 1 : 0;
                case AggregationType.Latest:
                    if (first || item.Timestamp > _latest.Timestamp || (item.Timestamp == _latest.Timestamp && item.Order > _latest.Order))
                    {
                        _latest = item;
                    }

                    break;
                case AggregationType.WeightedSum:
                    // Each event weighs the share of the period left after it.
                    _weighted += item.Number * ((periodEnd - item.Timestamp).Ticks / span);
                    break;
            }

            return 0;
        }

        public UsageValue Value(Meter meter)
        {
            if (_count == 0)
            {
                return UsageValue.Of(0m);
            }

            switch (meter.Aggregation)
            {
                case AggregationType.Count:
                    return UsageValue.Of(_count);
                case AggregationType.Sum:
                    return UsageValue.Of(_sum);
                case AggregationType.SumWithMultiplier:
                    return UsageValue.Of(_sum * meter.Factor);
                case AggregationType.Avg:
                    return UsageValue.Of(_sum / _count);
                case AggregationType.Max:
                    return UsageValue.Of(_max);
                case AggregationType.Min:
                    return UsageValue.Of(_min);
                case AggregationType.CountUnique:
                    return UsageValue.Of(_distinct?.Count ?? 0);
                case AggregationType.Latest:
                    return _latest.Text is { } text ? UsageValue.OfText(text) : UsageValue.Of(_latest.Number);
                case AggregationType.WeightedSum:
                    return UsageValue.Of(_weighted);
                default:
                    throw new ArgumentOutOfRangeException(nameof(meter), meter.Aggregation, null);
            }
        }
    }
}
