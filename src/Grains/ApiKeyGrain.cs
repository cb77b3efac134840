using Flexprice.Grains.RateLimiting;
using Flexprice.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flexprice.Grains;

/// <summary>
/// One API key: caches its identity, keeps its rate-limit windows and its tenant's catalog version, so that an API node
/// lets a request in with one call. Keyed by the key's hash, so every API node asks the same activation. The windows are
/// in memory only: persisting every request would cost a database write per request, and everything in a window is at
/// most 60 s old. If the activation is lost (silo crash), the key's count restarts from zero for at most one minute.
/// </summary>
public sealed class ApiKeyGrain(TenantStore store, IOptions<RateLimitOptions> rateLimits, TimeProvider time, ILogger<ApiKeyGrain> logger) : Grain, IApiKeyGrain
{
    /// <summary>How often the key asks its catalog again: the catalog's pushes are the rule, this the safety net.</summary>
    private static readonly TimeSpan ResubscribeEvery = TimeSpan.FromMinutes(1);

    private readonly SlidingWindowLog _events = new();
    private readonly SlidingWindowLog _bulk = new();
    private readonly SlidingWindowLog _reads = new();
    private Task<ApiKeyIdentity?>? _identity;
    private ITenantCatalogGrain? _catalog;
    private long _catalogVersion;
    private bool _subscribed;

    public Task<ApiKeyIdentity?> Authenticate()
    {
        if (_identity is { IsCompleted: true } done && (!done.IsCompletedSuccessfully || done.Result is null))
        {
            // Neither a lookup that failed nor an unknown key is kept: the next request reads the database again, and a
            // key created meanwhile works at once. Decided here, not by the lookup itself, so that a lookup that ends
            // after an Invalidate never drops the one started since.
            _identity = null;
        }

        _identity ??= LoadAsync();
        return _identity;
    }

    public async ValueTask<Admission> Admit(RateLimitedRoute? route)
    {
        var identity = await Authenticate();
        if (identity is null)
        {
            return new Admission(null, null, 0);
        }

        RateLimitDecision? decision = null;
        if (route is { } limited)
        {
            var limits = identity.Limits ?? rateLimits.Value.Defaults;
            var window = limited switch
            {
                RateLimitedRoute.Bulk => _bulk,
                RateLimitedRoute.Reads => _reads,
                _ => _events,
            };
            decision = window.TryAcquire(time.GetUtcNow(), limits.For(limited));
        }

        return new Admission(identity, decision, _catalogVersion);
    }

    public Task Invalidate()
    {
        _identity = null;
        return Task.CompletedTask;
    }

    public Task CatalogChanged(long version)
    {
        _catalogVersion = Math.Max(_catalogVersion, version);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_catalog is null || reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
        {
            // At shutdown the catalog may be gone already (Orleans would retry placing it, and log each try): a catalog
            // that outlives this silo tells this key of its next change, which activates the key elsewhere, or drops it.
            return;
        }

        try
        {
            await _catalog.Unsubscribe(this.AsReference<ICatalogSubscriber>());
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // The silo is going away: the catalog drops this subscriber when telling it fails.
        }
    }

    private async Task<ApiKeyIdentity?> LoadAsync()
    {
        try
        {
            var key = await store.FindLiveApiKeyAsync(this.GetPrimaryKeyString(), CancellationToken.None);
            if (key is null)
            {
                DeactivateOnIdle();
                return null;
            }

            if (_catalog is null)
            {
                _catalog = GrainFactory.GetGrain<ITenantCatalogGrain>(key.TenantId);
                this.RegisterGrainTimer(SubscribeAsync, ResubscribeEvery, ResubscribeEvery);
            }

            if (!_subscribed)
            {
                // Until a subscription went through, every lookup asks (and the timer does, within a minute): a key
                // that never heard of its catalog would hand out a stale version to every request.
                await SubscribeAsync(CancellationToken.None);
            }

            // The silo's defaults fill in, so every API node applies the same limits.
            var limits = rateLimits.Value.Resolve(key.Limits.EventsPerMinute, key.Limits.BulkPerMinute);
            return new ApiKeyIdentity(key.KeyId, key.TenantId, key.IsAdmin, limits);
        }
        catch (Exception ex) when (StorageFaultTranslation.Translate(ex, logger, this.GetGrainId(), nameof(Authenticate)) is { } translated)
        {
            // Not kept (see Authenticate). Authenticate and Admit both await this task.
            throw translated;
        }
    }

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        await CatalogChanged(await _catalog!.Subscribe(this.AsReference<ICatalogSubscriber>()));
        _subscribed = true;
    }
}
