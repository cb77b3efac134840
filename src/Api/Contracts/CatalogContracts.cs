using System.Text.Json;

namespace Flexprice.Api.Contracts;

public sealed record Pagination(long Total, int Limit, int Offset);

public sealed record ListResponse<T>(IReadOnlyList<T> Items, Pagination Pagination);

public sealed record CreateCustomerRequest(string ExternalId, string? Name, string? Email, JsonElement? Metadata);

public sealed record CustomerResponse(string Id, string ExternalId, string Name, string? Email, JsonElement? Metadata, DateTime CreatedAt);

public sealed record AggregationRequest(string Type, string? Field);

public sealed record MeterRequest(string EventName, AggregationRequest Aggregation, string? ResetUsage);

public sealed record CreateFeatureRequest(string Name, string Type, MeterRequest Meter);

public sealed record AggregationResponse(string Type, string? Field);

public sealed record MeterResponse(string Id, string Name, string EventName, AggregationResponse Aggregation, string ResetUsage);

public sealed record FeatureResponse(string Id, string Name, string Type, string MeterId, MeterResponse Meter, DateTimeOffset CreatedAt);

public sealed record CreateTenantRequest(string Name);

/// <param name="ApiKey">The new tenant's first admin key: shown once, store it now.</param>
public sealed record TenantCreatedResponse(string Id, string Name, string ApiKey);

public sealed record CreateApiKeyRequest(string Name);

/// <param name="ApiKey">The raw key: shown once, store it now.</param>
public sealed record ApiKeyCreatedResponse(string Id, string Name, string ApiKey, string DisplayId, DateTime CreatedAt);

public sealed record ApiKeyResponse(string Id, string Name, string DisplayId, bool IsAdmin, string Status, DateTime CreatedAt, DateTime? RevokedAt);
