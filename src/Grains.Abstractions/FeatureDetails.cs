namespace Flexprice.Grains.Abstractions;

/// <summary>
/// What a Flexprice feature carries besides its meter, stored as given and never used to compute usage.
/// <see cref="LookupKey"/> is unique within the tenant; <see cref="MetadataJson"/> is a JSON object (or null).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.FeatureDetails")]
public sealed record FeatureDetails(
    [property: Id(0)] string? LookupKey,
    [property: Id(1)] string? Description,
    [property: Id(2)] string? UnitSingular,
    [property: Id(3)] string? UnitPlural,
    [property: Id(4)] string? MetadataJson)
{
    public static readonly FeatureDetails None = new(null, null, null, null, null);
}
