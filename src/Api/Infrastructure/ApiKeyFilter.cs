using Flexprice.Api.Contracts;
using Flexprice.Grains;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Resolves <c>x-api-key</c> to its tenant on every <c>/v1</c> route; 401 for a missing, unknown or
/// revoked key. The key grain is the one authority for a key across API nodes, so a revocation
/// holds everywhere at once. Unknown and revoked keys count against the client address's budget
/// (<see cref="AuthFailureThrottle"/>); past it, 429.
/// </summary>
public sealed class ApiKeyFilter(GrainRefs grains, AuthFailureThrottle throttle) : IEndpointFilter
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

        // A missing key costs no lookup, so it is not counted; a blocked client's guesses get no lookup either.
        var client = AuthFailureThrottle.ClientOf(http);
        var keyHash = Ids.HashApiKey(rawKey.Trim());
        if (throttle.BlockedFor(client) is { } blocked && !throttle.SucceededBefore(keyHash))
        {
            return RateLimitHeaders.TooManyRequests(http, blocked);
        }

        var identity = await grains.Get<IApiKeyGrain>(keyHash).Authenticate();
        if (identity is null)
        {
            var decision = await throttle.RecordFailureAsync(client);
            return decision.Allowed ? Unauthorized() : RateLimitHeaders.TooManyRequests(http, decision.RetryAfter);
        }

        throttle.RememberSuccess(keyHash);
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
