namespace Flexprice.Grains;

/// <summary>
/// A metered feature and its meter: every event named <see cref="EventName"/> feeds it, folded by
/// <see cref="Aggregation"/> over the property <see cref="Field"/> (null for COUNT). Immutable once created.
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
    [property: Id(8)] DateTimeOffset CreatedAt);

/// <summary>A request to create a metered feature; validated by the caller.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.NewFeature")]
public sealed record NewFeature(
    [property: Id(0)] string Name,
    [property: Id(1)] string EventName,
    [property: Id(2)] AggregationType Aggregation,
    [property: Id(3)] string? Field,
    [property: Id(4)] string ResetUsage);
