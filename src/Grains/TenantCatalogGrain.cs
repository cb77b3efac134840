using Flexprice.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Flexprice.Grains;

/// <summary>
/// Caches a tenant's features and tells its subscribers (the tenant's API key grains, which hand the version to API
/// nodes with every request) when they change. Features are immutable and only ever added, so the number of features
/// is the catalog's version.
/// </summary>
public sealed class TenantCatalogGrain(FeatureStore store, ILogger<TenantCatalogGrain> logger) : Grain, ITenantCatalogGrain
{
    private readonly HashSet<ICatalogSubscriber> _subscribers = [];
    private CatalogSnapshot _snapshot = new(0, []);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
    }

    public Task<CatalogSnapshot> GetSnapshot() => Task.FromResult(_snapshot);

    public async Task<FeatureDefinition?> CreateFeature(NewFeature feature)
    {
        try
        {
            var created = await store.CreateFeatureAsync(this.GetPrimaryKeyString(), feature, CancellationToken.None);
            if (created is null)
            {
                return null;
            }

            // Reload rather than append: another activation (while a cluster's membership settles) may have added features too.
            await ReloadAsync(CancellationToken.None);
            await Task.WhenAll(_subscribers.ToList().Select(NotifyAsync));
            return created;
        }
        catch (Exception ex) when (StorageFaultTranslation.Translate(ex, logger, this.GetGrainId(), nameof(CreateFeature)) is { } translated)
        {
            throw translated;
        }
    }

    public Task<long> Subscribe(ICatalogSubscriber subscriber)
    {
        _subscribers.Add(subscriber);
        return Task.FromResult(_snapshot.Version);
    }

    public Task Unsubscribe(ICatalogSubscriber subscriber)
    {
        _subscribers.Remove(subscriber);
        return Task.CompletedTask;
    }

    private async Task NotifyAsync(ICatalogSubscriber subscriber)
    {
        try
        {
            await subscriber.CatalogChanged(_snapshot.Version);
        }
        catch (Exception ex)
        {
            // It asks again within a minute (and gets the current version then); until then it is not told.
            _subscribers.Remove(subscriber);
            logger.LogWarning(ex, "Tenant {Tenant}: telling a subscriber of catalog version {Version} failed; dropped it", this.GetPrimaryKeyString(), _snapshot.Version);
        }
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var features = await store.ListFeaturesAsync(this.GetPrimaryKeyString(), cancellationToken);
        _snapshot = new CatalogSnapshot(features.Length, features);
    }
}
