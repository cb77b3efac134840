namespace Flexprice.Grains.Storage;

public sealed record TenantRecord(string Id, string Name, DateTime CreatedAt);

/// <param name="EventsPerMinute">The key's own limit for <c>POST /v1/events</c>; null: the configured default.</param>
/// <param name="BulkPerMinute">The key's own limit for <c>POST /v1/events/bulk</c>; null: the configured default.</param>
public sealed record ApiKeyRecord(
    string Id, string TenantId, string Name, string DisplayId, bool IsAdmin, DateTime CreatedAt, DateTime? RevokedAt,
    int? EventsPerMinute = null, int? BulkPerMinute = null);

/// <summary>A key's own rate limits; null: the configured default.</summary>
public sealed record RateLimitOverrides(int? EventsPerMinute, int? BulkPerMinute)
{
    public static readonly RateLimitOverrides None = new(null, null);
}

/// <summary>A live key as the key grain needs it: who it is and its own rate limits.</summary>
public sealed record LiveApiKey(string KeyId, string TenantId, bool IsAdmin, RateLimitOverrides Limits);

/// <summary>A new API key: the raw key exists only here, to be shown once.</summary>
public sealed record IssuedApiKey(ApiKeyRecord Key, string RawKey);
