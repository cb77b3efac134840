using System.Globalization;
using System.Text.Json;

namespace Flexprice.Grains.Aggregation;

/// <summary>
/// A meter filter: the event's property <see cref="Key"/> must equal one of <see cref="Values"/>
/// (AND across filters, OR within one). A missing property does not match. Numbers compare by value,
/// so "2" matches 2, "2.0" and "2"; booleans by their JSON text.
/// </summary>
public sealed record PropertyFilter(string Key, IReadOnlyList<string> Values)
{
    public bool Matches(JsonElement properties) => Matches(properties, Key, Values);

    public static bool Matches(JsonElement properties, string key, IReadOnlyList<string> values)
    {
        if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(key, out var value))
        {
            return false;
        }

        foreach (var wanted in values)
        {
            if (ValueMatches(value, wanted))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ValueMatches(JsonElement value, string wanted)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                return string.Equals(text, wanted, StringComparison.Ordinal) || (TryNumber(text, out var a) && TryNumber(wanted, out var b) && a == b);
            case JsonValueKind.Number:
                return string.Equals(value.GetRawText(), wanted, StringComparison.Ordinal)
                    || (value.TryGetDecimal(out var number) && TryNumber(wanted, out var other) && number == other);
            case JsonValueKind.True or JsonValueKind.False:
                return string.Equals(value.GetRawText(), wanted.Trim(), StringComparison.OrdinalIgnoreCase);
            default:
                return false;
        }
    }

    private static bool TryNumber(string text, out decimal number) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
}

/// <summary>
/// What to aggregate: the type, the property (<see cref="Field"/>, null for COUNT), the multiplier of
/// SUM_WITH_MULTIPLIER, the bucket of bucketed MAX/SUM (the total is the sum of per-bucket results),
/// the property to group by (the total is the sum of per-group results) and the filters.
/// </summary>
public sealed record MeterSpec(
    AggregationType Type,
    string? Field,
    decimal Multiplier = 1m,
    WindowSize? BucketSize = null,
    string? GroupBy = null,
    IReadOnlyList<PropertyFilter>? Filters = null);

public static class FeatureMeters
{
    /// <summary>The feature's meter, as the usage calculator takes it.</summary>
    public static MeterSpec Meter(this FeatureDefinition feature) => new(
        feature.Aggregation, feature.Field, feature.Multiplier ?? 1m, feature.BucketSize, feature.GroupBy,
        [.. feature.MeterFilters.Select(f => new PropertyFilter(f.Key, f.Values))]);

    /// <summary>Whether the event's properties pass the feature's filters (always, without filters).</summary>
    public static bool Accepts(this FeatureDefinition feature, JsonElement properties)
    {
        foreach (var filter in feature.MeterFilters)
        {
            if (!PropertyFilter.Matches(properties, filter.Key, filter.Values))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the feature's usage needs the events themselves (buckets, groups): the grain's running aggregate cannot give it.</summary>
    public static bool NeedsEvents(this FeatureDefinition feature) => feature.BucketSize is not null || feature.GroupBy is not null;
}

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
    /// <summary>The calculator's view of a wire query.</summary>
    public static (MeterSpec Meter, UsageRange Range) From(UsageQuery query) => (
        new MeterSpec(query.Type, query.Field, query.Multiplier, query.BucketSize, query.GroupBy, [.. query.Filters.Select(f => new PropertyFilter(f.Key, f.Values))]),
        new UsageRange(query.Start, query.End, TimeZoneInfo.FindSystemTimeZoneById(query.TimeZoneId), query.Window, query.BillingAnchor));

    /// <summary>Usage over the events, in any order (see <see cref="UsageFold"/> for time-ordered streams and the limits).</summary>
    public static UsageAnswer Compute(MeterSpec meter, UsageRange range, IEnumerable<UsageEvent> events)
    {
        var fold = new UsageFold(meter, range, ordered: false);
        foreach (var e in events)
        {
            fold.Add(e);
        }

        return fold.Result();
    }

    public static bool Matches(MeterSpec meter, JsonElement properties)
    {
        if (meter.Filters is { } filters)
        {
            foreach (var filter in filters)
            {
                if (!filter.Matches(properties))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
