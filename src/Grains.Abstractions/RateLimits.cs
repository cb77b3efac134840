namespace Flexprice.Grains.Abstractions;

/// <summary>The routes with a limit of their own; each API key has one window per route.</summary>
[GenerateSerializer, Alias("Flexprice.RateLimitedRoute")]
public enum RateLimitedRoute
{
    /// <summary><c>POST /v1/events</c>: requests per minute.</summary>
    Events = 0,

    /// <summary><c>POST /v1/events/bulk</c>: requests per minute (each up to 1000 events).</summary>
    Bulk = 1,

    /// <summary>Every read route (usage, analytics, event listings and lookups, customers, features, keys): requests per minute, together.</summary>
    Reads = 2,
}

/// <summary>
/// A key's effective limits, in requests per rolling 60 seconds: the key's own, or the configured
/// defaults (the spec's 1000 single and 100 bulk; reads 600).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.RateLimits")]
public sealed record RateLimits(
    [property: Id(0)] int EventsPerMinute,
    [property: Id(1)] int BulkPerMinute,
    [property: Id(2)] int ReadsPerMinute)
{
    public int For(RateLimitedRoute route) => route switch
    {
        RateLimitedRoute.Bulk => BulkPerMinute,
        RateLimitedRoute.Reads => ReadsPerMinute,
        _ => EventsPerMinute,
    };
}

/// <summary>
/// One rate-limit decision. <see cref="Remaining"/> counts the requests that would still pass now,
/// after this one; <see cref="RetryAfter"/> (zero when allowed) is how long until a request would
/// pass; <see cref="ResetAt"/> is when the whole <see cref="Limit"/> is available again.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flexprice.RateLimitDecision")]
public sealed record RateLimitDecision(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] TimeSpan RetryAfter,
    [property: Id(2)] int Remaining,
    [property: Id(3)] int Limit,
    [property: Id(4)] DateTimeOffset ResetAt);
