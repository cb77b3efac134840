using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Flexprice.Grains.Abstractions;

/// <summary>
/// A tenant's features at one version. Versions only grow; a holder of version v has every
/// feature created up to v.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.CatalogSnapshot")]
public sealed record CatalogSnapshot([property: Id(0)] long Version, [property: Id(1)] ImmutableArray<FeatureDefinition> Features)
{
    /// <summary>Asked for as a minimum version: whatever the catalog holds now (it is read, not taken from a cache).</summary>
    public const long LatestVersion = long.MaxValue;

    [NonSerialized]
    private FrozenDictionary<string, ImmutableArray<FeatureDefinition>>? _byEventName;

    /// <summary>The features an event of this name feeds (several features may share one event name).</summary>
    public ImmutableArray<FeatureDefinition> FeaturesFor(string eventName)
    {
        _byEventName ??= Features
            .GroupBy(f => f.Meter.EventName, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);
        return _byEventName.TryGetValue(eventName, out var features) ? features : [];
    }
}
