using System.Text.Json.Serialization;
using System.Text.Json;

namespace Flexprice.Api.Features;

/// <param name="Multiplier">SUM_WITH_MULTIPLIER only (required there): a decimal &gt; 0, a number or a decimal string (as Flexprice's SDKs send it).</param>
/// <param name="BucketSize">MAX and SUM only: the usage is the sum of the per-bucket results (a window size: MINUTE … MONTH).</param>
/// <param name="GroupBy">Bucketed MAX only: maxima per (bucket, value of this property), summed.</param>
public sealed record AggregationRequest(
    string Type, string? Field, [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] decimal? Multiplier = null, string? BucketSize = null, string? GroupBy = null);

/// <summary>An event must equal one of <see cref="Values"/> at <see cref="Key"/>; numbers compare by value. As the JSON reads (fields may be null until validated).</summary>
public sealed record FilterRequest(string Key, IReadOnlyList<string> Values);

/// <summary>A meter as <c>POST /v1/features</c> reads it (Flexprice's JSON: the aggregation nested, its names as strings); <see cref="ToMeter"/> gives the one <see cref="Meter"/> every later step takes.</summary>
/// <param name="Filters">Events feed the meter only when they pass every filter (AND across keys, OR within a key); an event that does not need not carry the meter's field.</param>
public sealed record MeterRequest(string EventName, AggregationRequest Aggregation, string? ResetUsage, IReadOnlyList<FilterRequest>? Filters = null)
{
    /// <summary>The meter, from a request that passed validation (names trimmed, the multiplier only for SUM_WITH_MULTIPLIER).</summary>
    public Meter ToMeter()
    {
        AggregationTypeNames.TryParse(Aggregation.Type, out var aggregation);
        return new Meter(
            EventName.Trim(),
            aggregation,
            Aggregation.Field?.Trim(),
            aggregation == AggregationType.SumWithMultiplier ? Aggregation.Multiplier : null,
            WindowSizeNames.TryParse(Aggregation.BucketSize, out var bucket) ? bucket : null,
            string.IsNullOrWhiteSpace(Aggregation.GroupBy) ? null : Aggregation.GroupBy.Trim(),
            [.. (Filters ?? []).Select(f => new MeterFilter(f.Key.Trim(), [.. f.Values]))]);
    }
}

/// <param name="LookupKey">Names the feature within the tenant (unique); usage summaries and searches take it.</param>
/// <param name="Metadata">An object of strings, stored as given.</param>
public sealed record CreateFeatureRequest(
    string Name, string Type, MeterRequest Meter,
    string? LookupKey = null, string? Description = null, string? UnitSingular = null, string? UnitPlural = null, JsonElement? Metadata = null);

/// <param name="Multiplier">SUM_WITH_MULTIPLIER's factor as a decimal string (Flexprice's SDKs type it so); null for the others.</param>
[EveryKey]
public sealed record AggregationResponse(string Type, string? Field, string? Multiplier, string? BucketSize, string? GroupBy);

/// <summary>A feature's meter, with every field of Flexprice's meter model; meters here are part of their feature and never change.</summary>
[EveryKey]
public sealed record MeterResponse(
    string Id, string Name, string EventName, AggregationResponse Aggregation, string ResetUsage, IReadOnlyList<MeterFilter> Filters,
    string TenantId, DateTime CreatedAt)
{
    public string Status => FlexpriceFields.Published;

    public DateTime UpdatedAt => CreatedAt;

    public string? EnvironmentId => null;

    public string? CreatedBy => null;

    public string? UpdatedBy => null;
}

/// <summary>
/// A metered feature, with every field of Flexprice's feature model. Features here are never changed after
/// creation and carry no alert settings (null).
/// </summary>
[EveryKey]
public sealed record FeatureResponse(
    string Id, string Name, string Type, string MeterId, MeterResponse Meter, DateTime CreatedAt,
    string? LookupKey, string? Description, string? UnitSingular, string? UnitPlural, JsonElement? Metadata, string TenantId)
{
    public string Status => FlexpriceFields.Published;

    public DateTime UpdatedAt => CreatedAt;

    public string? EnvironmentId => null;

    public string? CreatedBy => null;

    public string? UpdatedBy => null;

    public JsonElement? AlertSettings => null;
}
