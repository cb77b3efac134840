using System.Collections.Concurrent;
using Flexprice.Grains;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Each tenant's catalog as this API node last read it. Every request learns the tenant's current catalog version from
/// its key's grain (<see cref="Admission.CatalogVersion"/>, pushed there by the catalog on every change), so the copy
/// here is used while it is that version or newer, and read again from the catalog grain only after a change.
/// </summary>
public sealed class CatalogCache(GrainRefs grains)
{
    private readonly ClearingCache<string, CatalogSnapshot> _snapshots = new(100_000);

    /// <summary>The tenant's catalog at <paramref name="version"/> or later.</summary>
    public async ValueTask<CatalogSnapshot> GetAsync(string tenantId, long version)
    {
        if (_snapshots.TryGet(tenantId, out var known) && known.Version >= version)
        {
            return known;
        }

        var current = await grains.Get<ITenantCatalogGrain>(tenantId).GetSnapshot();
        _snapshots.Set(tenantId, current);
        return current;
    }

    /// <summary>The catalog of the caller's tenant, at the version its key saw.</summary>
    public ValueTask<CatalogSnapshot> ForCallerAsync(HttpContext http) => GetAsync(http.Caller().TenantId, http.CallerCatalogVersion());
}
