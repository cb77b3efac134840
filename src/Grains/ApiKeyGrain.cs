using Flexprice.Grains.Storage;

namespace Flexprice.Grains;

/// <summary>Caches one API key's identity; keyed by the key's hash, so every API node asks the same activation.</summary>
public sealed class ApiKeyGrain(CatalogStore store) : Grain, IApiKeyGrain
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
            var identity = await store.FindLiveApiKeyAsync(this.GetPrimaryKeyString(), CancellationToken.None);
            if (identity is null)
            {
                // Unknown keys are not remembered: the next try reads the database again, and a key
                // created meanwhile works at once.
                _identity = null;
                DeactivateOnIdle();
            }

            return identity;
        }
        catch
        {
            _identity = null;
            throw;
        }
    }
}
