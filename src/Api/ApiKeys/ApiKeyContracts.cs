using System.Text.Json.Serialization;
using System.Text.Json;

namespace Flexprice.Api.ApiKeys;

public sealed record CreateTenantRequest(string Name);

/// <param name="ApiKey">The new tenant's first admin key: shown once, store it now.</param>
public sealed record TenantCreatedResponse(string Id, string Name, string ApiKey);

/// <summary>A key's own rate limits, requests per minute (1 to 1,000,000); a field left out or null means the configured default.</summary>
public sealed record RateLimitsRequest(int? EventsPerMinute, int? BulkPerMinute);

/// <param name="RateLimits">The key's own limits (admin keys only); left out: the defaults (the spec's 1000 and 100 per minute).</param>
/// <param name="Type">Flexprice's key type: only <c>private_key</c> (the default) exists here.</param>
/// <param name="ExpiresAt">Refused when given: keys here do not expire (revoke them instead).</param>
public sealed record CreateApiKeyRequest(string Name, RateLimitsRequest? RateLimits = null, string? Type = null, string? ExpiresAt = null);

/// <param name="RateLimits">Replaces the key's own limits; a field left out or null returns to the default.</param>
public sealed record UpdateApiKeyRequest(RateLimitsRequest? RateLimits);

/// <summary>A key's effective limits: requests per rolling minute on <c>POST /v1/events</c> and <c>POST /v1/events/bulk</c>.</summary>
public sealed record RateLimitsResponse(int EventsPerMinute, int BulkPerMinute);

/// <param name="ApiKey">The raw key: shown once, store it now.</param>
/// <param name="Secret">The key's fields, where Flexprice's SDKs read them (the same as at the top level).</param>
[EveryKey]
public sealed record ApiKeyCreatedResponse(string Id, string Name, string ApiKey, string DisplayId, DateTime CreatedAt, RateLimitsResponse RateLimits, ApiKeyResponse Secret);

/// <summary>
/// An API key (never the raw key), with every field of Flexprice's secret model: a private key of the
/// <c>flexprice</c> provider, without roles, expiry or last-use time.
/// </summary>
/// <param name="Status"><c>active</c> or <c>revoked</c>.</param>
[EveryKey]
public sealed record ApiKeyResponse(
    string Id, string Name, string DisplayId, bool IsAdmin, string Status, DateTime CreatedAt, DateTime? RevokedAt, RateLimitsResponse RateLimits)
{
    public string Type => "private_key";

    public string Provider => "flexprice";

    public string UserType => "user";

    public IReadOnlyList<string> Roles => [];

    public DateTime UpdatedAt => RevokedAt ?? CreatedAt;

    public DateTime? ExpiresAt => null;

    public DateTime? LastUsedAt => null;
}
