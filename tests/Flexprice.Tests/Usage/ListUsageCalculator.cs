using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.Aggregation;

namespace Flexprice.Tests.Usage;

/// <summary>
/// The usage calculator as first written (every matching event held in a list, then grouped): kept as the oracle the
/// streaming <see cref="UsageFold"/> is checked against. Both read an event's input the same way
/// (<see cref="UsageInput.TryRead"/>); what the oracle checks is the fold: windows, groups and aggregation.
/// </summary>
internal static class ListUsageCalculator
{
    public static UsageAnswer Compute(Meter meter, UsageRange range, IEnumerable<UsageEvent> events)
    {
        var items = new List<UsageInput>();
        foreach (var e in events)
        {
            if (e.Timestamp < range.Start || e.Timestamp >= range.End || !meter.Accepts(e.Properties) || !UsageInput.TryRead(meter, e, out var item))
            {
                continue;
            }

            items.Add(item);
        }

        var bucketCalendar = meter.BucketSize is { } bucket ? new WindowCalendar(bucket, range.Zone, range.BillingAnchor) : null;
        var total = Aggregate(meter, bucketCalendar, items, range.Start, range.End);
        var windows = new List<UsageWindow>();
        if (range.Window is { } size)
        {
            var calendar = new WindowCalendar(size, range.Zone, range.BillingAnchor);
            foreach (var group in items.GroupBy(i => calendar.Floor(i.Timestamp)).OrderBy(g => g.Key))
            {
                var end = calendar.Next(group.Key);
                var list = group.ToList();
                var value = Aggregate(meter, bucketCalendar, list, Max(group.Key, range.Start), Min(end, range.End));
                windows.Add(new UsageWindow(group.Key, end, value, list.Count));
            }
        }

        return new UsageAnswer(total, items.Count, [.. windows]);
    }

    private static UsageValue Aggregate(Meter meter, WindowCalendar? buckets, List<UsageInput> items, DateTime periodStart, DateTime periodEnd)
    {
        if (buckets is null && meter.GroupBy is null)
        {
            return Base(meter, items, periodStart, periodEnd);
        }

        var sum = 0m;
        foreach (var group in items.GroupBy(i => (Bucket: buckets?.Floor(i.Timestamp), i.Group)))
        {
            sum += Base(meter, [.. group], periodStart, periodEnd).Number;
        }

        return UsageValue.Of(sum);
    }

    private static UsageValue Base(Meter meter, List<UsageInput> items, DateTime periodStart, DateTime periodEnd)
    {
        if (items.Count == 0)
        {
            return UsageValue.Of(0m);
        }

        switch (meter.Aggregation)
        {
            case AggregationType.Count:
                return UsageValue.Of(items.Count);
            case AggregationType.Sum:
                return UsageValue.Of(items.Sum(i => i.Number));
            case AggregationType.SumWithMultiplier:
                return UsageValue.Of(items.Sum(i => i.Number) * meter.Factor);
            case AggregationType.Avg:
                return UsageValue.Of(items.Sum(i => i.Number) / items.Count);
            case AggregationType.Max:
                return UsageValue.Of(items.Max(i => i.Number));
            case AggregationType.Min:
                return UsageValue.Of(items.Min(i => i.Number));
            case AggregationType.CountUnique:
                return UsageValue.Of(items.Select(i => i.Key).Distinct(StringComparer.Ordinal).Count());
            case AggregationType.Latest:
                var latest = items[0];
                foreach (var item in items)
                {
                    if (item.Timestamp > latest.Timestamp || (item.Timestamp == latest.Timestamp && item.Order > latest.Order))
                    {
                        latest = item;
                    }
                }

                return latest.Text is { } text ? UsageValue.OfText(text) : UsageValue.Of(latest.Number);
            case AggregationType.WeightedSum:
                decimal span = (periodEnd - periodStart).Ticks;
                return UsageValue.Of(items.Sum(i => i.Number * ((periodEnd - i.Timestamp).Ticks / span)));
            default:
                throw new ArgumentOutOfRangeException(nameof(meter), meter.Aggregation, null);
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}
