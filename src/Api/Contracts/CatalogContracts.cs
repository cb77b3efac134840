using System.Text.Json;
using System.Text.Json.Serialization;

namespace Flexprice.Api.Contracts;

[EveryKey]
public sealed record Pagination(long Total, int Limit, int Offset);

[EveryKey]
public sealed record ListResponse<T>(IReadOnlyList<T> Items, Pagination Pagination);

/// <param name="AddressCountry">Stored as given (Flexprice asks for ISO 3166-1 alpha-2).</param>
public sealed record CreateCustomerRequest(
    string ExternalId, string? Name, string? Email, JsonElement? Metadata,
    string? AddressLine1 = null, string? AddressLine2 = null, string? AddressCity = null, string? AddressState = null,
    string? AddressPostalCode = null, string? AddressCountry = null);

/// <summary>
/// A customer, with every field of Flexprice's customer model. Customers here have no parents, environments
/// or authors (those fields are null) and are never changed after creation (<see cref="UpdatedAt"/> is <see cref="CreatedAt"/>).
/// </summary>
[EveryKey]
public sealed record CustomerResponse(
    string Id, string ExternalId, string Name, string? Email, JsonElement? Metadata, DateTime CreatedAt,
    string? AddressLine1, string? AddressLine2, string? AddressCity, string? AddressState, string? AddressPostalCode, string? AddressCountry,
    string TenantId)
{
    /// <summary>Always <c>published</c>: customers are never archived or deleted here.</summary>
    public string Status => FlexpriceFields.Published;

    public DateTime UpdatedAt => CreatedAt;

    public string? EnvironmentId => null;

    public string? CreatedBy => null;

    public string? UpdatedBy => null;

    public string? ParentCustomerId => null;

    public CustomerResponse? ParentCustomer => null;
}

/// <param name="Multiplier">SUM_WITH_MULTIPLIER only (required there): a decimal &gt; 0, a number or a decimal string (as Flexprice's SDKs send it).</param>
/// <param name="BucketSize">MAX and SUM only: the usage is the sum of the per-bucket results (a window size: MINUTE … MONTH).</param>
/// <param name="GroupBy">Bucketed MAX only: maxima per (bucket, value of this property), summed.</param>
public sealed record AggregationRequest(
    string Type, string? Field, [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] decimal? Multiplier = null, string? BucketSize = null, string? GroupBy = null);

/// <summary>An event must equal one of <see cref="Values"/> at <see cref="Key"/>; numbers compare by value.</summary>
public sealed record FilterRequest(string Key, IReadOnlyList<string> Values);

/// <param name="Filters">Events feed the meter only when they pass every filter (AND across keys, OR within a key); an event that does not need not carry the meter's field.</param>
public sealed record MeterRequest(string EventName, AggregationRequest Aggregation, string? ResetUsage, IReadOnlyList<FilterRequest>? Filters = null);

/// <param name="LookupKey">Names the feature within the tenant (unique); usage summaries and searches take it.</param>
/// <param name="Metadata">An object of strings, stored as given.</param>
public sealed record CreateFeatureRequest(
    string Name, string Type, MeterRequest Meter,
    string? LookupKey = null, string? Description = null, string? UnitSingular = null, string? UnitPlural = null, JsonElement? Metadata = null);

/// <param name="Multiplier">SUM_WITH_MULTIPLIER's factor as a decimal string (Flexprice's SDKs type it so); null for the others.</param>
[EveryKey]
public sealed record AggregationResponse(string Type, string? Field, string? Multiplier, string? BucketSize, string? GroupBy);

/// <summary>A feature's meter, with every field of Flexprice's meter model; meters here are part of their feature and never change.</summary>
[EveryKey]
public sealed record MeterResponse(
    string Id, string Name, string EventName, AggregationResponse Aggregation, string ResetUsage, IReadOnlyList<FilterRequest> Filters,
    string TenantId, DateTime CreatedAt)
{
    public string Status => FlexpriceFields.Published;

    public DateTime UpdatedAt => CreatedAt;

    public string? EnvironmentId => null;

    public string? CreatedBy => null;

    public string? UpdatedBy => null;
}

/// <summary>
/// A metered feature, with every field of Flexprice's feature model. Features here are never changed after
/// creation and carry no alert settings (null).
/// </summary>
[EveryKey]
public sealed record FeatureResponse(
    string Id, string Name, string Type, string MeterId, MeterResponse Meter, DateTime CreatedAt,
    string? LookupKey, string? Description, string? UnitSingular, string? UnitPlural, JsonElement? Metadata, string TenantId)
{
    public string Status => FlexpriceFields.Published;

    public DateTime UpdatedAt => CreatedAt;

    public string? EnvironmentId => null;

    public string? CreatedBy => null;

    public string? UpdatedBy => null;

    public JsonElement? AlertSettings => null;
}

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

/// <summary>Values of Flexprice's fields that are the same for every record here.</summary>
public static class FlexpriceFields
{
    /// <summary>Flexprice's status of a live record (its others: <c>archived</c>, <c>deleted</c>).</summary>
    public const string Published = "published";
}
