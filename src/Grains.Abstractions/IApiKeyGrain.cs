using Orleans.Concurrency;

namespace Flexprice.Grains.Abstractions;

/// <summary>
/// Who an API key is. <see cref="IsAdmin"/> keys may manage the tenant's keys (and, in the default tenant,
/// create tenants). <see cref="Limits"/> are the key's effective rate limits (null: the configured defaults).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.ApiKeyIdentity")]
public sealed record ApiKeyIdentity(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string TenantId,
    [property: Id(2)] bool IsAdmin,
    [property: Id(3)] RateLimits? Limits = null);

/// <summary>
/// What an API node needs to let a request in, in one call: who the key is (null: unknown or revoked), the rate-limit
/// decision when the route has a limit (null otherwise), and the version of the key's tenant's catalog, so that the node
/// can use its cached copy of the catalog while it is current.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.Admission")]
public sealed record Admission(
    [property: Id(0)] ApiKeyIdentity? Identity,
    [property: Id(1)] RateLimitDecision? Decision,
    [property: Id(2)] long CatalogVersion);

/// <summary>
/// One API key: its identity, its rate-limit windows (one per limited route) and its tenant's catalog version, pushed to
/// it by the catalog on every change; key: the SHA-256 hex of the raw key (the raw key never leaves the API node). The
/// one authority for the key across API nodes: a revocation or a changed limit holds everywhere from the next request.
/// </summary>
public interface IApiKeyGrain : IGrainWithStringKey, ICatalogSubscriber
{
    /// <summary>The key's identity, or null when the key is unknown or revoked.</summary>
    [AlwaysInterleave]
    Task<ApiKeyIdentity?> Authenticate();

    /// <summary>
    /// The key's identity and its tenant's catalog version; for a limited <paramref name="route"/>, also takes one request
    /// from that route's budget (the key's own limit, or the default) when at most limit − 1 were accepted in the last 60
    /// seconds; a refused request takes nothing. Nothing is taken for an unknown or revoked key.
    /// </summary>
    /// <remarks>A <see cref="ValueTask{TResult}"/>: awaited as it is, the call's answer needs no task of its own (this is on every request).</remarks>
    [AlwaysInterleave]
    ValueTask<Admission> Admit(RateLimitedRoute? route);

    /// <summary>
    /// Forgets what was cached, so a revocation or a changed rate limit stored in the database takes effect at once. The
    /// windows stay: a changed limit applies to the requests already counted.
    /// </summary>
    Task Invalidate();
}

/// <summary>Told by a tenant's catalog when it changes (new version); see <see cref="ITenantCatalogGrain.Subscribe"/>.</summary>
public interface ICatalogSubscriber : IGrainWithStringKey
{
    [AlwaysInterleave]
    Task CatalogChanged(long version);
}
