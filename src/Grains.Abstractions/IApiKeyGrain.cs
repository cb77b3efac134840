using Orleans.Concurrency;

namespace Flexprice.Grains;

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

/// <summary>One API key; key: the SHA-256 hex of the raw key (the raw key never leaves the API node).</summary>
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>The key's identity, or null when the key is unknown or revoked.</summary>
    [AlwaysInterleave]
    Task<ApiKeyIdentity?> Authenticate();

    /// <summary>Forgets what was cached, so a revocation or a changed rate limit stored in the database takes effect at once.</summary>
    Task Invalidate();
}
