namespace Flexprice.Grains.RateLimiting;

/// <summary>
/// One API key's windows, one per route, in memory only: persisting every request would cost a
/// database write per request, and everything in a window is at most 60 s old. If the activation is
/// lost (silo crash), the key's count restarts from zero for at most one minute.
/// </summary>
public sealed class RateLimitGrain(TimeProvider time) : Grain, IRateLimitGrain
{
    private readonly SlidingWindowLog _events = new();
    private readonly SlidingWindowLog _bulk = new();

    public Task<RateLimitDecision> TryAcquire(RateLimitedRoute route, int limitPerMinute)
    {
        var log = route == RateLimitedRoute.Bulk ? _bulk : _events;
        return Task.FromResult(log.TryAcquire(time.GetUtcNow(), limitPerMinute));
    }
}

/// <summary>Failed authentications from one client address, in a sliding window like the keys' limits.</summary>
public sealed class AuthFailureGrain(TimeProvider time) : Grain, IAuthFailureGrain
{
    private readonly SlidingWindowLog _failures = new();

    public Task<RateLimitDecision> RecordFailure(int limitPerMinute) =>
        Task.FromResult(_failures.TryAcquire(time.GetUtcNow(), limitPerMinute));
}
