using Flexprice.Grains;
using Flexprice.Grains.Storage;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// Resolves <c>x-api-key</c> to its tenant on every <c>/v1</c> route; 401 for a missing, unknown or
/// revoked key. The key grain is the one authority for a key across API nodes, so a revocation
/// holds everywhere at once. Unknown and revoked keys count against the client address's budget
/// (<see cref="AuthFailureThrottle"/>); past it, 429, answered slowly. A missing key costs no lookup and is not counted.
/// </summary>
public sealed class ApiKeyFilter(ApiKeyGrains keys, AuthFailureThrottle throttle) : IEndpointFilter
{
    public const string HeaderName = "x-api-key";

    /// <summary>Puts the routes of <paramref name="group"/> behind the key, with one filter made from the application's services per route.</summary>
    public static RouteGroupBuilder KeyRequired(RouteGroupBuilder group) => group.AddEndpointFilterFactory(SharedFilter.Of<ApiKeyFilter>());

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var rawKey = http.Request.Headers[HeaderName].ToString();
        if (string.IsNullOrWhiteSpace(rawKey))
        {
            return Unauthorized();
        }

        // Looked up first, always: a valid key is never refused for what others sent from its address. One call lets the
        // request in: the key's identity, the rate-limit decision of a limited route, its tenant's catalog version.
        var route = http.GetEndpoint()?.Metadata.GetMetadata<RateLimitedEndpoint>()?.Route;
        var admission = await keys.For(rawKey).Admit(route);
        if (admission.Identity is null)
        {
            var client = AuthFailureThrottle.ClientOf(http);
            var decision = await throttle.RecordFailureAsync(client);
            if (decision.Allowed)
            {
                return Unauthorized();
            }

            await throttle.HoldAsync(client, http.RequestAborted);
            return RateLimitHeaders.TooManyRequests(http, decision.RetryAfter);
        }

        // A feature, not HttpContext.Items: Kestrel keeps a connection's feature slots across its requests, while Items
        // makes a dictionary for each request.
        http.Features.Set(admission);
        return await next(context);
    }

    private static IResult Unauthorized() => Errors.Status(StatusCodes.Status401Unauthorized, ErrorMessages.InvalidApiKey);
}

/// <summary>
/// API keys' grains on this host, found by the key's SHA-256 (hashed on the stack): the hash's hex text, the grain's key, is
/// made once per key, not on every request. One per host, shared by every route's key filter; bounded like
/// <see cref="GrainRefs"/> (and apart from it, so that a client spraying unknown keys churns only this cache): unknown
/// keys take room too, and a full cache starts over.
/// </summary>
public sealed class ApiKeyGrains(IGrainFactory grains)
{
    private readonly ClearingCache<KeyHash, IApiKeyGrain> _byHash = new(100_000);

    /// <summary>The grain of the raw key (surrounding whitespace ignored).</summary>
    public IApiKeyGrain For(string rawKey)
    {
        Span<byte> hash = stackalloc byte[KeyHash.Length];
        Ids.HashApiKey(rawKey.AsSpan().Trim(), hash);
        var digest = KeyHash.Of(hash);
        if (!_byHash.TryGet(digest, out var grain))
        {
            grain = grains.GetGrain<IApiKeyGrain>(Ids.ApiKeyHashText(hash));
            _byHash.Add(digest, grain);
        }

        return grain;
    }

    /// <summary>A key's SHA-256 as a value (the stored hash's bytes).</summary>
    private readonly record struct KeyHash(UInt128 First, UInt128 Second)
    {
        public const int Length = System.Security.Cryptography.SHA256.HashSizeInBytes;

        public static KeyHash Of(ReadOnlySpan<byte> hash) =>
            new(System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash), System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash[16..]));
    }
}

public static class HttpContextIdentity
{
    /// <summary>The caller's key, set by <see cref="ApiKeyFilter"/>.</summary>
    public static ApiKeyIdentity Caller(this HttpContext http) =>
        http.Features.Get<Admission>()?.Identity ?? throw new InvalidOperationException("The route is not behind ApiKeyFilter.");

    /// <summary>Whether <see cref="ApiKeyFilter"/> let the request in (its key is known: only then is its admission kept).</summary>
    public static bool HasCaller(this HttpContext http) => http.Features.Get<Admission>() is not null;

    /// <summary>The version of the caller's tenant's catalog when the request came in (see <see cref="CatalogCache"/>).</summary>
    public static long CallerCatalogVersion(this HttpContext http) => http.Features.Get<Admission>()?.CatalogVersion ?? 0;

    /// <summary>The rate-limit decision taken for the request, when its route has a limit.</summary>
    public static RateLimitDecision? CallerRateLimit(this HttpContext http) => http.Features.Get<Admission>()?.Decision;
}
