using System.Text.Json;

namespace Flexprice.Api.Contracts;

public sealed record Pagination(long Total, int Limit, int Offset);

public sealed record ListResponse<T>(IReadOnlyList<T> Items, Pagination Pagination);

public sealed record CreateCustomerRequest(string ExternalId, string? Name, string? Email, JsonElement? Metadata);

public sealed record CustomerResponse(string Id, string ExternalId, string Name, string? Email, JsonElement? Metadata, DateTime CreatedAt);

/// <param name="Multiplier">SUM_WITH_MULTIPLIER only (required there): a decimal &gt; 0.</param>
/// <param name="BucketSize">MAX and SUM only: the usage is the sum of the per-bucket results (a window size: MINUTE … MONTH).</param>
/// <param name="GroupBy">Bucketed MAX only: maxima per (bucket, value of this property), summed.</param>
public sealed record AggregationRequest(string Type, string? Field, decimal? Multiplier = null, string? BucketSize = null, string? GroupBy = null);

/// <summary>An event must equal one of <see cref="Values"/> at <see cref="Key"/>; numbers compare by value.</summary>
public sealed record FilterRequest(string Key, IReadOnlyList<string> Values);

/// <param name="Filters">Events feed the meter only when they pass every filter (AND across keys, OR within a key); an event that does not need not carry the meter's field.</param>
public sealed record MeterRequest(string EventName, AggregationRequest Aggregation, string? ResetUsage, IReadOnlyList<FilterRequest>? Filters = null);

public sealed record CreateFeatureRequest(string Name, string Type, MeterRequest Meter);

public sealed record AggregationResponse(string Type, string? Field, decimal? Multiplier = null, string? BucketSize = null, string? GroupBy = null);

public sealed record MeterResponse(string Id, string Name, string EventName, AggregationResponse Aggregation, string ResetUsage, IReadOnlyList<FilterRequest>? Filters = null);

public sealed record FeatureResponse(string Id, string Name, string Type, string MeterId, MeterResponse Meter, DateTime CreatedAt);

public sealed record CreateTenantRequest(string Name);

/// <param name="ApiKey">The new tenant's first admin key: shown once, store it now.</param>
public sealed record TenantCreatedResponse(string Id, string Name, string ApiKey);

/// <summary>A key's own rate limits, requests per minute (1 to 1,000,000); a field left out or null means the configured default.</summary>
public sealed record RateLimitsRequest(int? EventsPerMinute, int? BulkPerMinute);

/// <param name="RateLimits">The key's own limits (admin keys only); left out: the defaults (the spec's 1000 and 100 per minute).</param>
public sealed record CreateApiKeyRequest(string Name, RateLimitsRequest? RateLimits = null);

/// <param name="RateLimits">Replaces the key's own limits; a field left out or null returns to the default.</param>
public sealed record UpdateApiKeyRequest(RateLimitsRequest? RateLimits);

/// <summary>A key's effective limits: requests per rolling minute on <c>POST /v1/events</c> and <c>POST /v1/events/bulk</c>.</summary>
public sealed record RateLimitsResponse(int EventsPerMinute, int BulkPerMinute);

/// <param name="ApiKey">The raw key: shown once, store it now.</param>
public sealed record ApiKeyCreatedResponse(string Id, string Name, string ApiKey, string DisplayId, DateTime CreatedAt, RateLimitsResponse RateLimits);

public sealed record ApiKeyResponse(
    string Id, string Name, string DisplayId, bool IsAdmin, string Status, DateTime CreatedAt, DateTime? RevokedAt, RateLimitsResponse RateLimits);
