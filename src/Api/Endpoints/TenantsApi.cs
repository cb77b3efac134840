using Flexprice.Api.Contracts;
using Flexprice.Api.Infrastructure;
using Flexprice.Grains;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Endpoints;

/// <summary>Tenants and their API keys: <c>/v1/tenants</c>, <c>/v1/secrets/api/keys</c>.</summary>
public static class TenantsApi
{
    public const string KeysNeedAdmin = "Only an admin API key can manage API keys";

    public static RouteGroupBuilder MapTenantsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/tenants", CreateTenant)
            .WithTags("Tenants")
            .WithName("CreateTenant")
            .WithSummary("Create a tenant and its first admin API key (admin keys of the default tenant only)")
            .DocumentsBody<CreateTenantRequest>()
            .Produces<TenantCreatedResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden);

        var keys = v1.MapGroup("/secrets/api/keys").WithTags("API keys");

        keys.MapPost("/", CreateKey)
            .WithName("CreateApiKey")
            .WithSummary("Create an API key for the caller's tenant (admin keys only); the raw key is shown once")
            .DocumentsBody<CreateApiKeyRequest>()
            .Produces<ApiKeyCreatedResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden);

        keys.MapGet("/", ListKeys)
            .WithName("ListApiKeys")
            .WithSummary("The tenant's API keys (never the raw keys)")
            .Produces<ListResponse<ApiKeyResponse>>()
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden);

        keys.MapDelete("/{id}", RevokeKey)
            .WithName("RevokeApiKey")
            .WithSummary("Revoke an API key; it is refused (401) from then on")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return v1;
    }

    private static async Task<IResult> CreateTenant(HttpContext http, CatalogStore store)
    {
        var caller = http.Caller();
        if (!caller.IsAdmin || caller.TenantId != CatalogStore.DefaultTenantId)
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

        var (tenant, key) = await store.CreateTenantAsync(request.Name.Trim(), http.RequestAborted);
        return TypedResults.Created($"/v1/tenants/{tenant.Id}", new TenantCreatedResponse(tenant.Id, tenant.Name, key.RawKey));
    }

    private static async Task<IResult> CreateKey(HttpContext http, CatalogStore store)
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

        var issued = await store.CreateApiKeyAsync(http.Caller().TenantId, request.Name.Trim(), http.RequestAborted);
        var key = issued.Key;
        return TypedResults.Created($"/v1/secrets/api/keys/{key.Id}", new ApiKeyCreatedResponse(key.Id, key.Name, issued.RawKey, key.DisplayId, key.CreatedAt));
    }

    private static async Task<IResult> ListKeys(HttpContext http, CatalogStore store)
    {
        if (!http.Caller().IsAdmin)
        {
            return Errors.Forbidden(KeysNeedAdmin);
        }

        var keys = await store.ListApiKeysAsync(http.Caller().TenantId, http.RequestAborted);
        return TypedResults.Ok(new ListResponse<ApiKeyResponse>(
            [.. keys.Select(k => new ApiKeyResponse(k.Id, k.Name, k.DisplayId, k.IsAdmin, k.RevokedAt is null ? "active" : "revoked", k.CreatedAt, k.RevokedAt))],
            new Pagination(keys.Length, keys.Length, 0)));
    }

    private static async Task<IResult> RevokeKey(HttpContext http, CatalogStore store, IGrainFactory grains, string id)
    {
        if (!http.Caller().IsAdmin)
        {
            return Errors.Forbidden(KeysNeedAdmin);
        }

        var hash = await store.RevokeApiKeyAsync(http.Caller().TenantId, id, http.RequestAborted);
        if (hash is null)
        {
            return Errors.NotFound($"API key '{id}' not found");
        }

        await grains.GetGrain<IApiKeyGrain>(hash).Invalidate();
        return TypedResults.NoContent();
    }
}
