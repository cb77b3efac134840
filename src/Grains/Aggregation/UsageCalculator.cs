using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>An event as a usage computation sees it. <see cref="Order"/> breaks LATEST's timestamp ties: the greater (later ingested) wins.</summary>
public readonly record struct UsageEvent(DateTime Timestamp, long Order, JsonElement Properties);

/// <summary>The range [<see cref="Start"/>, <see cref="End"/>) (UTC), the calendar of <see cref="Zone"/>, and the optional window size.</summary>
public sealed record UsageRange(DateTime Start, DateTime End, TimeZoneInfo Zone, WindowSize? Window = null, DateTime? BillingAnchor = null);

/// <summary>
/// Usage over a range, computed from events: pure and exact (decimal). Events outside the range, not
/// matching the filters, or without a usable value for the aggregation (missing property, a
/// non-numeric value for a numeric aggregation) do not count; COUNT counts every matching event.
/// </summary>
public static class UsageCalculator
{
    /// <summary>The calculator's view of a wire query's range.</summary>
    public static UsageRange RangeOf(UsageQuery query) =>
        new(query.Start, query.End, TimeZoneInfo.FindSystemTimeZoneById(query.TimeZoneId), query.Window, query.BillingAnchor);

    /// <summary>Usage over the events, in any order (see <see cref="UsageFold"/> for time-ordered streams and the limits).</summary>
    public static UsageAnswer Compute(Meter meter, UsageRange range, IEnumerable<UsageEvent> events)
    {
        var fold = new UsageFold(meter, range, ordered: false);
        foreach (var e in events)
        {
            fold.Add(e);
        }

        return fold.Result();
    }
}
