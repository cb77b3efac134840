using Flexprice.Grains;
using Flexprice.Grains.RateLimiting;
using Flexprice.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.ApiKeys;

/// <summary>Tenants and their API keys: <c>/v1/tenants</c>, <c>/v1/secrets/api/keys</c>.</summary>
public static class ApiKeysApi
{
    public const string KeysNeedAdmin = "Only an admin API key can manage API keys";

    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/tenants", CreateTenant)
            .WithTags("Tenants")
            .WithName("CreateTenant")
            .WithSummary("Create a tenant and its first admin API key (admin keys of the default tenant only)")
            .DocumentsBody<CreateTenantRequest>()
            .WithRequestExample("""{"name": "Acme Inc."}""")
            .Produces<TenantCreatedResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden);

        var keys = v1.MapGroup("/secrets/api/keys").WithTags("API keys");

        keys.MapPost("/", CreateKey)
            .WithName("CreateApiKey")
            .WithSummary("Create an API key for the caller's tenant (admin keys only); the raw key is shown once")
            .DocumentsBody<CreateApiKeyRequest>()
            .WithRequestExample("""{"name": "ingestion service", "rate_limits": {"events_per_minute": 600000, "bulk_per_minute": 6000}}""")
            .Produces<ApiKeyCreatedResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden);

        keys.MapGet("/", ListKeys)
            .RateLimited(RateLimitedRoute.Reads)
            .WithName("ListApiKeys")
            .WithSummary("The tenant's API keys (never the raw keys)")
            .Produces<ListResponse<ApiKeyResponse>>()
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden);

        keys.MapPatch("/{id}", UpdateKey)
            .WithName("UpdateApiKey")
            .WithSummary("Change a key's rate limits (admin keys only); the next request is held to them, on every API node")
            .DocumentsBody<UpdateApiKeyRequest>()
            .WithRequestExample("""{"rate_limits": {"events_per_minute": 2000, "bulk_per_minute": null}}""")
            .Produces<ApiKeyResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        keys.MapDelete("/{id}", RevokeKey)
            .WithName("RevokeApiKey")
            .WithSummary("Revoke an API key; it is refused (401) from then on")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return v1;
    }

    private static async Task<IResult> CreateTenant(HttpContext http, TenantStore store)
    {
        var caller = http.Caller();
        if (!caller.IsAdmin || caller.TenantId != TenantStore.DefaultTenantId)
        {
            return Errors.Forbidden("Only an admin API key of the default tenant can create tenants");
        }

        var (request, error) = await JsonBody.ReadAsync<CreateTenantRequest>(http.Request);
        if (request is null)
        {
            return error!;
        }

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return Errors.BadRequest(ErrorMessages.MissingField("name"));
        }

        if (InputLimits.CheckText(request.Name.Trim(), "name") is { } tooLong)
        {
            return Errors.BadRequest(tooLong);
        }

        var (tenant, key) = await store.CreateTenantAsync(request.Name.Trim(), http.RequestAborted);
        return TypedResults.Created($"/v1/tenants/{tenant.Id}", new TenantCreatedResponse(tenant.Id, tenant.Name, key.RawKey));
    }

    private static async Task<IResult> CreateKey(HttpContext http, TenantStore store, IOptions<RateLimitOptions> rateLimits)
    {
        if (!http.Caller().IsAdmin)
        {
            return Errors.Forbidden(KeysNeedAdmin);
        }

        var (request, error) = await JsonBody.ReadAsync<CreateApiKeyRequest>(http.Request);
        if (request is null)
        {
            return error!;
        }

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return Errors.BadRequest(ErrorMessages.MissingField("name"));
        }

        if (InputLimits.CheckText(request.Name.Trim(), "name") is { } tooLong)
        {
            return Errors.BadRequest(tooLong);
        }

        if (!string.IsNullOrEmpty(request.Type) && request.Type != "private_key")
        {
            return Errors.BadRequest($"Invalid type '{ErrorMessages.Echo(request.Type)}': only private_key API keys exist here");
        }

        if (!string.IsNullOrEmpty(request.ExpiresAt))
        {
            return Errors.BadRequest("Invalid field: expires_at: API keys here do not expire; revoke them instead (DELETE /v1/secrets/api/keys/{id})");
        }

        if (CheckRateLimits(http, request.RateLimits, out var overrides) is { } refused)
        {
            return refused;
        }

        var issued = await store.CreateApiKeyAsync(http.Caller().TenantId, request.Name.Trim(), overrides, http.RequestAborted);
        var key = issued.Key;
        return TypedResults.Created(
            $"/v1/secrets/api/keys/{key.Id}",
            new ApiKeyCreatedResponse(key.Id, key.Name, issued.RawKey, key.DisplayId, key.CreatedAt, EffectiveLimits(key, rateLimits.Value), ToResponse(key, rateLimits.Value)));
    }

    private static async Task<IResult> ListKeys(HttpContext http, TenantStore store, IOptions<RateLimitOptions> rateLimits)
    {
        if (!http.Caller().IsAdmin)
        {
            return Errors.Forbidden(KeysNeedAdmin);
        }

        var keys = await store.ListApiKeysAsync(http.Caller().TenantId, http.RequestAborted);
        return TypedResults.Ok(new ListResponse<ApiKeyResponse>(
            [.. keys.Select(k => ToResponse(k, rateLimits.Value))],
            new Pagination(keys.Length, keys.Length, 0)));
    }

    private static async Task<IResult> UpdateKey(HttpContext http, TenantStore store, IGrainFactory grains, IOptions<RateLimitOptions> rateLimits, string id)
    {
        if (InputLimits.CheckParameter(id, "id", InputLimits.MaxIdLength) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        var (request, error) = await JsonBody.ReadAsync<UpdateApiKeyRequest>(http.Request);
        if (request is null)
        {
            return error!;
        }

        var tenantId = http.Caller().TenantId;
        if (request.RateLimits is null)
        {
            // Nothing to change: answer with the key as it is.
            var current = await store.GetApiKeyAsync(tenantId, id, http.RequestAborted);
            return current is null ? Errors.NotFound($"API key '{ErrorMessages.Echo(id)}' not found") : TypedResults.Ok(ToResponse(current, rateLimits.Value));
        }

        if (CheckRateLimits(http, request.RateLimits, out var overrides) is { } refused)
        {
            return refused;
        }

        var updated = await store.SetApiKeyRateLimitsAsync(tenantId, id, overrides, http.RequestAborted);
        if (updated is not { } found)
        {
            return Errors.NotFound($"API key '{ErrorMessages.Echo(id)}' not found");
        }

        // The key grain carries the limits to every API node; the key's rate-limit grain keeps its
        // window, so the new limit applies at once to the requests already counted.
        await grains.GetGrain<IApiKeyGrain>(found.KeyHash).Invalidate();
        return TypedResults.Ok(ToResponse(found.Key, rateLimits.Value));
    }

    /// <summary>Only admin keys set limits, each 1 to <see cref="RateLimitOptions.MaxPerMinute"/>; null when the request may go on.</summary>
    private static IResult? CheckRateLimits(HttpContext http, RateLimitsRequest? request, out RateLimitOverrides overrides)
    {
        overrides = RateLimitOverrides.None;
        if (request is null)
        {
            return null;
        }

        if (!http.Caller().IsAdmin)
        {
            return Errors.Forbidden("Only an admin API key can set rate limits");
        }

        foreach (var (field, value) in new[] { ("events_per_minute", request.EventsPerMinute), ("bulk_per_minute", request.BulkPerMinute) })
        {
            if (value is < 1 or > RateLimitOptions.MaxPerMinute)
            {
                return Errors.BadRequest($"Invalid value for field: rate_limits.{field} must be 1 to {RateLimitOptions.MaxPerMinute}");
            }
        }

        overrides = new RateLimitOverrides(request.EventsPerMinute, request.BulkPerMinute);
        return null;
    }

    private static ApiKeyResponse ToResponse(ApiKeyRecord k, RateLimitOptions rateLimits) =>
        new(k.Id, k.Name, k.DisplayId, k.IsAdmin, k.RevokedAt is null ? "active" : "revoked", k.CreatedAt, k.RevokedAt, EffectiveLimits(k, rateLimits));

    private static RateLimitsResponse EffectiveLimits(ApiKeyRecord key, RateLimitOptions rateLimits)
    {
        var limits = rateLimits.Resolve(key.EventsPerMinute, key.BulkPerMinute);
        return new RateLimitsResponse(limits.EventsPerMinute, limits.BulkPerMinute);
    }

    private static async Task<IResult> RevokeKey(HttpContext http, TenantStore store, IGrainFactory grains, string id)
    {
        if (!http.Caller().IsAdmin)
        {
            return Errors.Forbidden(KeysNeedAdmin);
        }

        if (InputLimits.CheckParameter(id, "id", InputLimits.MaxIdLength) is { } invalid)
        {
            return Errors.BadRequest(invalid);
        }

        var hash = await store.RevokeApiKeyAsync(http.Caller().TenantId, id, http.RequestAborted);
        if (hash is null)
        {
            return Errors.NotFound($"API key '{ErrorMessages.Echo(id)}' not found");
        }

        await grains.GetGrain<IApiKeyGrain>(hash).Invalidate();
        return TypedResults.NoContent();
    }
}
