namespace Flexprice.Grains.RateLimiting;

/// <summary>Failed authentications from one client address, in a sliding window like the keys' limits.</summary>
public sealed class AuthFailureGrain(TimeProvider time) : Grain, IAuthFailureGrain
{
    private readonly SlidingWindowLog _failures = new();

    public Task<RateLimitDecision> RecordFailure(int limitPerMinute) =>
        Task.FromResult(_failures.TryAcquire(time.GetUtcNow(), limitPerMinute));
}
