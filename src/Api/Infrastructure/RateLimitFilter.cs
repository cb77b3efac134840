using System.Globalization;
using Flexprice.Grains;
using Flexprice.Grains.RateLimiting;
using Microsoft.Extensions.Options;

namespace Flexprice.Api.Infrastructure;

/// <summary>
/// The spec's per-key limits on a route: the decision is taken by the key's grain in the call that lets the request in
/// (<see cref="ApiKeyFilter"/>), before the body is read, so a refused request costs no parsing, no customer grain call
/// and no database write. Every answer of the route carries <c>X-RateLimit-Limit</c>, <c>-Remaining</c> and <c>-Reset</c>.
/// </summary>
public sealed class RateLimitFilter : IEndpointFilter
{
    // Not async: passing the request on costs no state machine of its own.
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var decision = http.CallerRateLimit() ?? throw new InvalidOperationException("A rate-limited route was let in without a decision.");
        RateLimitHeaders.Write(http.Response, decision);
        return decision.Allowed ? next(context) : ValueTask.FromResult<object?>(RateLimitHeaders.TooManyRequests(http, decision.RetryAfter));
    }
}

/// <summary>Marks an endpoint as limited per key on <see cref="Route"/>'s budget.</summary>
public sealed record RateLimitedEndpoint(RateLimitedRoute Route);

public static class RateLimitHeaders
{
    public const string Limit = "X-RateLimit-Limit";
    public const string Remaining = "X-RateLimit-Remaining";
    public const string Reset = "X-RateLimit-Reset";

    // A key's limit is the same for all its requests, and the reset second is shared by the requests of that second: their
    // texts are made once and reused, for every route's limit and every key's reset (a few values at a time; a full cache
    // starts over).
    private static readonly ClearingCache<long, string> Texts = new(4_096);

    public static void Write(HttpResponse response, RateLimitDecision decision)
    {
        response.Headers[Limit] = Text(decision.Limit);
        response.Headers[Remaining] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers[Reset] = Text(CeilingSeconds(decision.ResetAt.ToUnixTimeMilliseconds(), 1000));
    }

    private static string Text(long value)
    {
        if (!Texts.TryGet(value, out var text))
        {
            text = value.ToString(CultureInfo.InvariantCulture);
            Texts.Add(value, text);
        }

        return text;
    }

    /// <summary>429 with the spec's body and <c>Retry-After</c>: whole seconds, rounded up, until a request would pass.</summary>
    public static IResult TooManyRequests(HttpContext http, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, CeilingSeconds(retryAfter.Ticks, TimeSpan.TicksPerSecond));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Errors.Status(StatusCodes.Status429TooManyRequests, ErrorMessages.RateLimitExceeded);
    }

    private static long CeilingSeconds(long value, long perSecond) => (value + perSecond - 1) / perSecond;
}

public static class RateLimitConventions
{
    /// <summary>Puts the route under the caller's key's limit for <paramref name="route"/>.</summary>
    public static RouteHandlerBuilder RateLimited(this RouteHandlerBuilder endpoint, RateLimitedRoute route) =>
        endpoint
            .WithMetadata(new RateLimitedEndpoint(route))
            .AddEndpointFilter(new RateLimitFilter())
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests);
}
