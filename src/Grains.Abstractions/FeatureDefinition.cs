namespace Flexprice.Grains.Abstractions;

/// <summary>
/// A metered feature: its <see cref="Meter"/> (which events feed it and how they fold), when its usage resets
/// (<see cref="ResetUsage"/>: BILLING_PERIOD or NEVER) and its descriptive fields. Immutable once created.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.FeatureDefinition")]
public sealed record FeatureDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Type,
    [property: Id(3)] string MeterId,
    [property: Id(4)] Meter Meter,
    [property: Id(5)] string ResetUsage,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] FeatureDetails? Details = null)
{
    /// <summary>The descriptive fields; all null when none were given.</summary>
    public FeatureDetails Describe => Details ?? FeatureDetails.None;
}

/// <summary>A request to create a metered feature; validated by the caller.</summary>
[GenerateSerializer, Immutable, Alias("Flexprice.NewFeature")]
public sealed record NewFeature(
    [property: Id(0)] string Name,
    [property: Id(1)] Meter Meter,
    [property: Id(2)] string ResetUsage,
    [property: Id(3)] FeatureDetails? Details = null);
