using Flexprice.Api.Contracts;
using Flexprice.Grains;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Resolves <c>x-api-key</c> to its tenant on every <c>/v1</c> route; 401 for a missing, unknown or
/// revoked key. The key grain is the one authority for a key across API nodes, so a revocation
/// holds everywhere at once.
/// </summary>
public sealed class ApiKeyFilter(IGrainFactory grains) : IEndpointFilter
{
    public const string HeaderName = "x-api-key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var rawKey = http.Request.Headers[HeaderName].ToString();
        if (string.IsNullOrWhiteSpace(rawKey))
        {
            return Unauthorized();
        }

        var identity = await grains.GetGrain<IApiKeyGrain>(Ids.HashApiKey(rawKey.Trim())).Authenticate();
        if (identity is null)
        {
            return Unauthorized();
        }

        http.Items[typeof(ApiKeyIdentity)] = identity;
        return await next(context);
    }

    private static IResult Unauthorized() => TypedResults.Json(new ErrorResponse(ErrorMessages.InvalidApiKey), statusCode: StatusCodes.Status401Unauthorized);
}

public static class HttpContextIdentity
{
    /// <summary>The caller's key, set by <see cref="ApiKeyFilter"/>.</summary>
    public static ApiKeyIdentity Caller(this HttpContext http) =>
        http.Items[typeof(ApiKeyIdentity)] as ApiKeyIdentity ?? throw new InvalidOperationException("The route is not behind ApiKeyFilter.");
}
