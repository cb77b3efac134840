using System.Collections.Immutable;

namespace Flexprice.Grains.Abstractions;

/// <summary>
/// A meter, the one shape of "what to count" from the HTTP routes to the usage calculator (a feature's meter, a usage
/// query's, the fold's): every event named <see cref="EventName"/> that passes <see cref="Filters"/> (AND across
/// filters, OR within one) feeds it, folded by <see cref="Aggregation"/> over the property <see cref="Field"/> (null
/// for COUNT). <see cref="Multiplier"/>: SUM_WITH_MULTIPLIER's factor (null for the others). <see cref="BucketSize"/>:
/// bucketed MAX or SUM (the usage is the sum of per-bucket results); <see cref="GroupBy"/>: the usage is the sum of
/// per-(bucket, value of that property) results.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.Meter")]
public sealed record Meter(
    [property: Id(0)] string EventName,
    [property: Id(1)] AggregationType Aggregation,
    [property: Id(2)] string? Field,
    [property: Id(3)] decimal? Multiplier = null,
    [property: Id(4)] WindowSize? BucketSize = null,
    [property: Id(5)] string? GroupBy = null,
    ImmutableArray<MeterFilter> Filters = default)
{
    /// <summary>The filters; empty (never default) when there are none.</summary>
    [Id(6)]
    public ImmutableArray<MeterFilter> Filters { get; init; } = Filters.IsDefault ? [] : Filters;

    /// <summary>What a SUM_WITH_MULTIPLIER sum is multiplied by (1 when no multiplier is set).</summary>
    public decimal Factor => Multiplier ?? 1m;

    /// <summary>Whether the usage needs the events themselves (buckets, groups): a running aggregate cannot give it.</summary>
    public bool NeedsEvents => BucketSize is not null || GroupBy is not null;
}

/// <summary>
/// A meter filter, the one filter shape: the event's property <see cref="Key"/> must equal one of <see cref="Values"/>.
/// A missing property does not match; numbers compare by value ("2" matches 2 and 2.0), booleans by their JSON text.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.UsageFilter")]
public sealed record MeterFilter([property: Id(0)] string Key, [property: Id(1)] ImmutableArray<string> Values);
