using Flexprice.Grains;
using Flexprice.Grains.Storage;

namespace Flexprice.Tests.RateLimiting;

/// <summary>The rate-limit windows of an API key's grain on a real silo, its clock a <c>FakeTimeProvider</c>.</summary>
[Collection(RateLimitClusterCollection.Name)]
public sealed class RateLimitGrainTests(RateLimitClusterFixture cluster)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private TestKey NewKey()
    {
        var (tenant, key) = cluster.Store.CreateTenantAsync($"rate-{Guid.NewGuid():N}", CancellationToken.None).GetAwaiter().GetResult();
        return new TestKey(cluster.Grains.GetGrain<IApiKeyGrain>(Ids.HashApiKey(key.RawKey)), cluster.Store, tenant.Id, key.Key.Id);
    }

    [Fact]
    public async Task An_unknown_key_is_let_in_nowhere_and_spends_nothing()
    {
        var admission = await cluster.Grains.GetGrain<IApiKeyGrain>(Ids.HashApiKey($"sk_{Guid.NewGuid():N}")).Admit(RateLimitedRoute.Events);

        Assert.Null(admission.Identity);
        Assert.Null(admission.Decision);
    }

    [Fact]
    public async Task Burst_up_to_the_limit_passes_then_the_next_is_refused()
    {
        var key = NewKey();
        var start = cluster.Clock.GetUtcNow();

        for (var i = 1; i <= 10; i++)
        {
            var accepted = await key.TryAcquire(RateLimitedRoute.Events, 10);
            Assert.True(accepted.Allowed);
            Assert.Equal(10 - i, accepted.Remaining);
            Assert.Equal(10, accepted.Limit);
            Assert.Equal(start + Minute, accepted.ResetAt);
        }

        var refused = await key.TryAcquire(RateLimitedRoute.Events, 10);
        Assert.False(refused.Allowed);
        Assert.Equal(0, refused.Remaining);
        Assert.Equal(Minute, refused.RetryAfter);
        Assert.Equal(start + Minute, refused.ResetAt);
    }

    [Fact]
    public async Task Steady_sender_at_exactly_the_limit_is_never_refused()
    {
        // 100 per minute: one request every 600 ms, for five minutes, all accepted.
        var key = NewKey();
        var interval = Minute / 100;
        for (var i = 0; i < 500; i++)
        {
            var decision = await key.TryAcquire(RateLimitedRoute.Bulk, 100);
            Assert.True(decision.Allowed, $"request {i} was refused");
            cluster.Clock.Advance(interval);
        }
    }

    [Fact]
    public async Task Steady_sender_after_a_full_burst_is_refused_until_the_burst_ages_out()
    {
        // A burst then a steady stream: in the first minute nothing beyond the burst passes (no 2×limit
        // as a GCRA with burst = limit would allow), and from then on every steady request passes.
        var key = NewKey();
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 10)).Allowed);
        }

        var interval = Minute / 10;
        for (var i = 1; i < 10; i++)
        {
            cluster.Clock.Advance(interval);
            Assert.False((await key.TryAcquire(RateLimitedRoute.Events, 10)).Allowed);
        }

        cluster.Clock.Advance(interval);
        for (var i = 0; i < 30; i++)
        {
            // Exactly 60 s after the burst all ten leave together: the steady stream takes one slot per interval.
            Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 10)).Allowed);
            cluster.Clock.Advance(interval);
        }
    }

    [Fact]
    public async Task Budget_refills_as_each_accepted_request_turns_sixty_seconds_old()
    {
        var key = NewKey();
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 5)).Allowed);
            cluster.Clock.Advance(TimeSpan.FromSeconds(10));
        }

        // t = 50 s: full. At t = 60 s the first request (t = 0) leaves the window: one slot, and only one.
        Assert.False((await key.TryAcquire(RateLimitedRoute.Events, 5)).Allowed);
        cluster.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 5)).Allowed);
        Assert.False((await key.TryAcquire(RateLimitedRoute.Events, 5)).Allowed);

        // Idle for a minute: the whole limit is back.
        cluster.Clock.Advance(Minute);
        var fresh = await key.TryAcquire(RateLimitedRoute.Events, 5);
        Assert.True(fresh.Allowed);
        Assert.Equal(4, fresh.Remaining);
    }

    [Fact]
    public async Task Retry_after_is_exactly_when_a_request_would_pass()
    {
        var key = NewKey();
        Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 2)).Allowed);
        cluster.Clock.Advance(TimeSpan.FromSeconds(12.3));
        Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 2)).Allowed);
        cluster.Clock.Advance(TimeSpan.FromSeconds(5));

        var refused = await key.TryAcquire(RateLimitedRoute.Events, 2);
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(60 - 12.3 - 5), refused.RetryAfter);
        Assert.Equal(cluster.Clock.GetUtcNow() + TimeSpan.FromSeconds(60 - 5), refused.ResetAt);

        cluster.Clock.Advance(refused.RetryAfter - TimeSpan.FromTicks(1));
        Assert.False((await key.TryAcquire(RateLimitedRoute.Events, 2)).Allowed);
        cluster.Clock.Advance(TimeSpan.FromTicks(1));
        Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 2)).Allowed);
    }

    [Fact]
    public async Task Keys_and_routes_have_budgets_of_their_own()
    {
        var spent = NewKey();
        var other = NewKey();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await spent.TryAcquire(RateLimitedRoute.Events, 3)).Allowed);
        }

        Assert.False((await spent.TryAcquire(RateLimitedRoute.Events, 3)).Allowed);
        var bulk = await spent.TryAcquire(RateLimitedRoute.Bulk, 3);
        Assert.True(bulk.Allowed);
        Assert.Equal(2, bulk.Remaining);
        var fresh = await other.TryAcquire(RateLimitedRoute.Events, 3);
        Assert.True(fresh.Allowed);
        Assert.Equal(2, fresh.Remaining);
    }

    [Fact]
    public async Task Changed_limit_applies_at_once_to_the_requests_already_counted()
    {
        var key = NewKey();
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await key.TryAcquire(RateLimitedRoute.Events, 10)).Allowed);
        }

        // Lowered: the ten already counted exceed it.
        var lowered = await key.TryAcquire(RateLimitedRoute.Events, 5);
        Assert.False(lowered.Allowed);
        Assert.Equal(5, lowered.Limit);
        Assert.Equal(0, lowered.Remaining);

        // Raised: exactly ten more fit beside the ten already counted.
        var accepted = 0;
        while ((await key.TryAcquire(RateLimitedRoute.Events, 20)).Allowed)
        {
            accepted++;
        }

        Assert.Equal(10, accepted);
        cluster.Clock.Advance(Minute);
        var raised = await key.TryAcquire(RateLimitedRoute.Events, 20);
        Assert.Equal(19, raised.Remaining);
    }

    /// <summary>A key with its own limit on both routes, set (and the grain told) whenever a test asks with another limit.</summary>
    private sealed class TestKey(IApiKeyGrain grain, TenantStore store, string tenantId, string keyId)
    {
        private int? _limit;

        public async Task<RateLimitDecision> TryAcquire(RateLimitedRoute route, int limitPerMinute)
        {
            if (_limit != limitPerMinute)
            {
                await store.SetApiKeyRateLimitsAsync(tenantId, keyId, new RateLimitOverrides(limitPerMinute, limitPerMinute), CancellationToken.None);
                await grain.Invalidate();
                _limit = limitPerMinute;
            }

            return (await grain.Admit(route)).Decision!;
        }
    }

    [Fact]
    public async Task Failed_authentications_from_one_address_are_refused_past_the_budget()
    {
        var address = cluster.Grains.GetGrain<IAuthFailureGrain>($"192.0.2.{Random.Shared.Next(256)}-{Guid.NewGuid():N}");
        for (var i = 0; i < 4; i++)
        {
            Assert.True((await address.RecordFailure(4)).Allowed);
        }

        var refused = await address.RecordFailure(4);
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
        cluster.Clock.Advance(refused.RetryAfter);
        Assert.True((await address.RecordFailure(4)).Allowed);
    }
}
