using Flexprice.Grains.Storage;

namespace Flexprice.Grains;

/// <summary>
/// Caches a tenant's features. Features are immutable and only ever added, so the number of
/// features is the catalog's version.
/// </summary>
public sealed class TenantCatalogGrain(CatalogStore store) : Grain, ITenantCatalogGrain
{
    private CatalogSnapshot _snapshot = new(0, []);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
    }

    public Task<CatalogSnapshot> GetSnapshot() => Task.FromResult(_snapshot);

    public async Task<FeatureDefinition?> CreateFeature(NewFeature feature)
    {
        var created = await store.CreateFeatureAsync(this.GetPrimaryKeyString(), feature, CancellationToken.None);
        if (created is null)
        {
            return null;
        }

        // Reload rather than append: another activation (while a cluster's membership settles) may have added features too.
        await ReloadAsync(CancellationToken.None);
        return created;
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var features = await store.ListFeaturesAsync(this.GetPrimaryKeyString(), cancellationToken);
        _snapshot = new CatalogSnapshot(features.Length, features);
    }
}
