using Flexprice.Grains.RateLimiting;

namespace Flexprice.Tests.RateLimiting;

/// <summary>The window's two promises, checked against random traffic: exact in every 60-second span, and fair to steady senders.</summary>
public sealed class SlidingWindowLogTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(100, 3)]
    [InlineData(1000, 4)]
    public void No_sixty_second_span_holds_more_than_the_limit(int limit, int seed)
    {
        // Bursts, idle gaps and trickles for ten minutes; then every span starting at an accepted request is checked.
        var random = new Random(seed);
        var log = new SlidingWindowLog();
        var accepted = new List<DateTimeOffset>();
        var now = Start;
        while (now < Start.AddMinutes(10))
        {
            var burst = random.Next(4) == 0 ? random.Next(1, 3 * limit) : 1;
            for (var i = 0; i < burst; i++)
            {
                if (log.TryAcquire(now, limit).Allowed)
                {
                    accepted.Add(now);
                }
            }

            now += TimeSpan.FromTicks((long)(random.NextDouble() * random.Next(1, 4) * TimeSpan.TicksPerSecond * 60 / limit * 2));
        }

        for (int first = 0, last = 0; first < accepted.Count; first++)
        {
            while (last < accepted.Count && accepted[last] < accepted[first] + SlidingWindowLog.Window)
            {
                last++;
            }

            Assert.True(last - first <= limit, $"{last - first} accepted in the 60 s from {accepted[first]:O}");
        }

        // And the window is used: some span is full.
        Assert.Contains(accepted, t => accepted.Count(u => u >= t && u < t + SlidingWindowLog.Window) == limit);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(100)]
    [InlineData(600_000)]
    public void Steady_sender_at_the_limit_is_never_refused_and_the_log_stays_bounded(int limit)
    {
        var log = new SlidingWindowLog();
        var interval = TimeSpan.FromTicks(SlidingWindowLog.Window.Ticks / limit);
        for (var i = 0; i < 3 * limit; i++)
        {
            var decision = log.TryAcquire(Start + i * interval, limit);
            Assert.True(decision.Allowed, $"request {i} refused");
        }

        Assert.Equal(limit, log.Count);
    }

    [Fact]
    public void Log_shrinks_when_traffic_falls()
    {
        var log = new SlidingWindowLog();
        for (var i = 0; i < 10_000; i++)
        {
            log.TryAcquire(Start, 10_000);
        }

        var decision = log.TryAcquire(Start.AddMinutes(2), 10_000);
        Assert.True(decision.Allowed);
        Assert.Equal(1, log.Count);
        Assert.Equal(9_999, decision.Remaining);
    }

    [Fact]
    public void Clock_stepping_back_counts_as_the_newest_time()
    {
        var log = new SlidingWindowLog();
        Assert.True(log.TryAcquire(Start, 2).Allowed);
        Assert.True(log.TryAcquire(Start.AddSeconds(-30), 2).Allowed);
        var refused = log.TryAcquire(Start.AddSeconds(-30), 2);
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(60), refused.RetryAfter);
    }
}
