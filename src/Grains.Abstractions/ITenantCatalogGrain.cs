using Orleans.Concurrency;

namespace Flexprice.Grains.Abstractions;

/// <summary>The tenant's feature catalog; key: tenant id. The single authority that API nodes and customer grains read.</summary>
public interface ITenantCatalogGrain : IGrainWithStringKey
{
    /// <summary>The current snapshot of the tenant's features.</summary>
    [AlwaysInterleave]
    Task<CatalogSnapshot> GetSnapshot();

    /// <summary>
    /// Stores a new feature and returns it (the snapshot version grows by one); null when the tenant has a feature with
    /// its lookup key. Every subscriber has been told the new version before this returns, so a request the client sends
    /// next, to any API node, sees the feature.
    /// </summary>
    Task<FeatureDefinition?> CreateFeature(NewFeature feature);

    /// <summary>Tells <paramref name="subscriber"/> of every change from now on; returns the current version.</summary>
    [AlwaysInterleave]
    Task<long> Subscribe(ICatalogSubscriber subscriber);

    [AlwaysInterleave]
    Task Unsubscribe(ICatalogSubscriber subscriber);
}
