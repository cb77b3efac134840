using System.Collections.Immutable;

namespace Flexprice.Grains.Abstractions;

/// <summary>
/// A metered feature and its meter: every event named <see cref="EventName"/> that matches <see cref="Filters"/>
/// (AND across filters, OR within one) feeds it, folded by <see cref="Aggregation"/> over the property
/// <see cref="Field"/> (null for COUNT). <see cref="Multiplier"/>: SUM_WITH_MULTIPLIER's factor. <see cref="BucketSize"/>:
/// bucketed MAX or SUM (the usage is the sum of per-bucket results); <see cref="GroupBy"/>: with a bucketed MAX, maxima
/// per (bucket, value of that property), summed. Immutable once created.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.FeatureDefinition")]
public sealed record FeatureDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Type,
    [property: Id(3)] string MeterId,
    [property: Id(4)] string EventName,
    [property: Id(5)] AggregationType Aggregation,
    [property: Id(6)] string? Field,
    [property: Id(7)] string ResetUsage,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] decimal? Multiplier = null,
    [property: Id(10)] WindowSize? BucketSize = null,
    [property: Id(11)] string? GroupBy = null,
    [property: Id(12)] ImmutableArray<UsageFilter> Filters = default,
    [property: Id(13)] FeatureDetails? Details = null)
{
    /// <summary>The meter's filters; empty when it has none.</summary>
    public ImmutableArray<UsageFilter> MeterFilters => Filters.IsDefault ? [] : Filters;

    /// <summary>The descriptive fields; all null when none were given.</summary>
    public FeatureDetails Describe => Details ?? FeatureDetails.None;
}

/// <summary>A request to create a metered feature; validated by the caller.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.NewFeature")]
public sealed record NewFeature(
    [property: Id(0)] string Name,
    [property: Id(1)] string EventName,
    [property: Id(2)] AggregationType Aggregation,
    [property: Id(3)] string? Field,
    [property: Id(4)] string ResetUsage,
    [property: Id(5)] decimal? Multiplier = null,
    [property: Id(6)] WindowSize? BucketSize = null,
    [property: Id(7)] string? GroupBy = null,
    [property: Id(8)] ImmutableArray<UsageFilter> Filters = default,
    [property: Id(9)] FeatureDetails? Details = null);
