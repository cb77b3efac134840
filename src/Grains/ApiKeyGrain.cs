using Flexprice.Grains.RateLimiting;
using Flexprice.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Flexprice.Grains;

/// <summary>Caches one API key's identity; keyed by the key's hash, so every API node asks the same activation.</summary>
public sealed class ApiKeyGrain(CatalogStore store, IOptions<RateLimitOptions> rateLimits) : Grain, IApiKeyGrain
{
    private Task<ApiKeyIdentity?>? _identity;

    public Task<ApiKeyIdentity?> Authenticate()
    {
        _identity ??= LoadAsync();
        return _identity;
    }

    public Task Invalidate()
    {
        _identity = null;
        return Task.CompletedTask;
    }

    private async Task<ApiKeyIdentity?> LoadAsync()
    {
        try
        {
            var key = await store.FindLiveApiKeyAsync(this.GetPrimaryKeyString(), CancellationToken.None);
            if (key is null)
            {
                // Unknown keys are not remembered: the next try reads the database again, and a key
                // created meanwhile works at once.
                _identity = null;
                DeactivateOnIdle();
                return null;
            }

            // The silo's defaults fill in, so every API node applies the same limits.
            var limits = rateLimits.Value.Resolve(key.Limits.EventsPerMinute, key.Limits.BulkPerMinute);
            return new ApiKeyIdentity(key.KeyId, key.TenantId, key.IsAdmin, limits);
        }
        catch
        {
            _identity = null;
            throw;
        }
    }
}
