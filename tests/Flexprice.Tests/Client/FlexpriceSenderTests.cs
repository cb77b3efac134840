using System.Collections.Concurrent;
using Flexprice.Client;
using Flexprice.Client.Events;
using Flexprice.Client.Sending;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Flexprice.Tests.Client;

/// <summary>The background sender against the real API (in process), and against an address where nothing listens.</summary>
[Collection(ApiCollection.Name)]
public sealed class FlexpriceSenderTests(ApiFactory api)
{
    private static readonly string[] Customers = ["c1", "c2", "c3", "c4", "c5"];

    [Fact]
    public async Task Tracked_events_are_sent_in_bulks_of_at_most_the_batch_size_and_each_is_counted_exactly_once()
    {
        using var tenant = await NewTenantAsync();
        var log = new RequestLog();
        var tracked = new ConcurrentBag<(string Customer, decimal Credits, string Id)>();
        await using (var provider = FlexpriceClients.InProcess(api, tenant.ApiKey, o =>
                     {
                         o.BatchSize = 500;
                         o.FlushInterval = TimeSpan.FromMilliseconds(100);
                         o.MaxConcurrentBulks = 2;
                     }, log))
        {
            var sender = provider.Sender();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(producer => Task.Run(() =>
            {
                var random = new Random(producer);
                for (var i = 0; i < 600; i++)
                {
                    var (customer, credits) = (Customers[random.Next(Customers.Length)], new decimal(random.Next(1, 10_000), 0, 0, false, (byte)random.Next(0, 3)));
                    var result = sender.Track(Event(customer, credits));
                    Assert.True(result.Queued);
                    tracked.Add((customer, credits, result.EventId));
                }
            })));

            await sender.DisposeAsync();
            var stats = sender.Statistics;
            // The server reports duplicates (none here) with every bulk, so every event sent has its report.
            Assert.Equal(new SenderStatistics(2400, 2400, 0, 0, 0, 0, 0, 0), stats);
        }

        Assert.Equal(2400, tracked.Select(t => t.Id).Distinct().Count());
        Assert.All(tracked, t => Assert.Matches($"^{EventIds.Prefix}[0-9A-HJKMNP-TV-Z]{{26}}$", t.Id));
        var bulks = log.Attempts.Where(a => a.Path == "/v1/events/bulk").ToList();
        Assert.All(bulks, b => Assert.InRange(b.Events, 1, 500));
        Assert.Equal(2400, bulks.Where(b => b.Status == 202).Sum(b => b.Events));
        await AssertUsageAsync(tenant, tracked.Select(t => (t.Customer, t.Credits)));
    }

    [Fact]
    public async Task Bulks_whose_answers_are_lost_after_the_commit_are_sent_again_and_counted_zero_more_times()
    {
        using var tenant = await NewTenantAsync();
        var lost = new LostAnswerHandler();
        var tracked = new List<(string Customer, decimal Credits)>();
        await using (var provider = FlexpriceClients.InProcess(api, tenant.ApiKey, o =>
                     {
                         o.BatchSize = 100;
                         o.RetryDelay = TimeSpan.FromMilliseconds(10);
                     }, fault: () => lost))
        {
            var sender = provider.Sender();
            var random = new Random(11);
            for (var i = 0; i < 1000; i++)
            {
                var (customer, credits) = (Customers[random.Next(Customers.Length)], (decimal)random.Next(1, 1000));
                sender.Track(Event(customer, credits));
                tracked.Add((customer, credits));
            }

            await sender.DisposeAsync();
            Assert.Equal((1000L, 1000L, 0L), (sender.Statistics.Tracked, sender.Statistics.Sent, sender.Statistics.Failed));
        }

        Assert.True(lost.Lost >= 10, $"every bulk's first answer should have been lost ({lost.Lost})");
        await AssertUsageAsync(tenant, tracked);
    }

    [Fact]
    public async Task Refused_events_are_set_aside_and_reported_and_the_rest_of_their_bulk_is_counted()
    {
        using var tenant = await NewTenantAsync();
        var undelivered = new ConcurrentBag<UndeliveredEvent>();
        var good = new List<(string Customer, decimal Credits)>();
        var bad = new HashSet<string>();
        await using (var provider = FlexpriceClients.InProcess(api, tenant.ApiKey, o => o.BatchSize = 100))
        {
            var sender = provider.Sender();
            sender.Undelivered += undelivered.Add;
            var random = new Random(3);
            for (var i = 0; i < 300; i++)
            {
                var credits = (decimal)random.Next(1, 100);
                switch (random.Next(10))
                {
                    case 0:
                        bad.Add(sender.Track(Event("nobody", credits)).EventId);
                        break;
                    case 1:
                        bad.Add(sender.Track(new UsageEvent("model.usage", "c1") { Properties = new Dictionary<string, object?> { ["credits"] = "many" } }).EventId);
                        break;
                    default:
                        var customer = Customers[random.Next(Customers.Length)];
                        sender.Track(Event(customer, credits));
                        good.Add((customer, credits));
                        break;
                }
            }

            await sender.DisposeAsync();
            var stats = sender.Statistics;
            Assert.Equal((300L, (long)good.Count, (long)bad.Count, 0L, 0L), (stats.Tracked, stats.Sent, stats.Refused, stats.Failed, stats.Pending));
        }

        Assert.True(bad.Count > 10, "the test needs refused events");
        Assert.Equal(bad.Order(), undelivered.Select(u => u.EventId).Order());
        Assert.All(undelivered, u => Assert.Equal(UndeliveredReason.Refused, u.Reason));
        Assert.Contains(undelivered, u => u.Error.Contains("nobody", StringComparison.Ordinal));
        Assert.Contains(undelivered, u => u.Error.Contains("credits", StringComparison.Ordinal) && u.EventJson.Contains("\"many\"", StringComparison.Ordinal));
        await AssertUsageAsync(tenant, good);
    }

    [Fact]
    public async Task A_partial_bulk_is_sent_once_its_oldest_event_has_waited_the_flush_interval_on_the_time_provider()
    {
        using var tenant = await NewTenantAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var provider = FlexpriceClients.InProcess(api, tenant.ApiKey, o => o.FlushInterval = TimeSpan.FromMinutes(10), time: time);
        var sender = provider.Sender();
        for (var i = 1; i <= 3; i++)
        {
            sender.Track(Event("c1", i));
        }

        // Only the time provider's clock can release the partial bulk (10 minutes of it).
        for (var waited = 0; sender.Statistics.Sent < 3; waited++)
        {
            Assert.True(waited < 200, $"the partial bulk was not sent after the flush interval: {sender.Statistics}");
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(50);
        }

        await AssertUsageAsync(tenant, [("c1", 1), ("c1", 2), ("c1", 3)]);
    }

    [Fact]
    public async Task Flush_returns_once_everything_tracked_before_it_is_acknowledged()
    {
        using var tenant = await NewTenantAsync();
        await using var provider = FlexpriceClients.InProcess(api, tenant.ApiKey, o => o.FlushInterval = TimeSpan.FromHours(1));
        var sender = provider.Sender();
        for (var i = 1; i <= 10; i++)
        {
            sender.Track(Event("c2", i));
        }

        await sender.FlushAsync();

        Assert.Equal(10, sender.Statistics.Sent);
        await AssertUsageAsync(tenant, Enumerable.Range(1, 10).Select(i => ("c2", (decimal)i)));
    }

    [Fact]
    public async Task A_full_buffer_drops_new_events_with_a_count_and_a_report_never_silently()
    {
        var undelivered = new ConcurrentBag<UndeliveredEvent>();
        // Nothing listens there: every bulk fails transiently and is kept for a retry.
        await using var provider = FlexpriceClients.Remote(new Uri($"http://127.0.0.1:{ApiFactory.FreePort()}"), "sk_any", o =>
        {
            o.MaxBufferedEvents = 10;
            o.WhenBufferFull = BufferFullMode.Drop;
            o.FlushInterval = TimeSpan.FromMilliseconds(10);
            o.RetryDelay = TimeSpan.FromMilliseconds(20);
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });
        var sender = provider.Sender();
        sender.Undelivered += undelivered.Add;

        var results = Enumerable.Range(1, 15).Select(i => sender.Track(Event("c1", i))).ToList();

        Assert.Equal(Enumerable.Repeat(true, 10).Concat(Enumerable.Repeat(false, 5)), results.Select(r => r.Queued));
        Assert.Equal((10L, 5L, 10L), (sender.Statistics.Tracked, sender.Statistics.Dropped, sender.Statistics.Pending));
        Assert.Equal(results.Skip(10).Select(r => r.EventId).Order(), undelivered.Select(u => u.EventId).Order());
        Assert.All(undelivered, u => Assert.Equal(UndeliveredReason.Dropped, u.Reason));

        await sender.DisposeAsync();

        // At shutdown the ten held events are given up, counted and reported too.
        var stats = sender.Statistics;
        Assert.Equal((10L, 0L, 10L, 5L, 0L), (stats.Tracked, stats.Sent, stats.Failed, stats.Dropped, stats.Pending));
        Assert.Equal(15, undelivered.Count);
        Assert.Equal(results.Take(10).Select(r => r.EventId).Order(), undelivered.Where(u => u.Reason == UndeliveredReason.Failed).Select(u => u.EventId).Order());
    }

    [Fact]
    public async Task A_full_buffer_makes_trackers_wait_in_back_pressure_mode()
    {
        await using var provider = FlexpriceClients.Remote(new Uri($"http://127.0.0.1:{ApiFactory.FreePort()}"), "sk_any", o =>
        {
            o.MaxBufferedEvents = 5;
            o.WhenBufferFull = BufferFullMode.Wait;
            o.RetryDelay = TimeSpan.FromMilliseconds(20);
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(500);
        });
        var sender = provider.Sender();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(sender.Track(Event("c1", i)).Queued);
        }

        // No event can be acknowledged (nothing listens), so no room can free up before the shutdown.
        var waiting = sender.TrackAsync(Event("c1", 99)).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(5, sender.Statistics.Tracked);

        await sender.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        Assert.Equal((5L, 5L, 0L), (sender.Statistics.Tracked, sender.Statistics.Failed, sender.Statistics.Dropped));
    }

    private static UsageEvent Event(string customer, decimal credits) =>
        new("model.usage", customer) { Properties = new Dictionary<string, object?> { ["credits"] = credits } };

    private Task<TenantClient> NewTenantAsync() => api.NewMeteredTenantAsync(Customers);

    /// <summary>Every customer's usage equals the recomputation from the events given.</summary>
    private static async Task AssertUsageAsync(TenantClient tenant, IEnumerable<(string Customer, decimal Credits)> events)
    {
        var list = events.ToList();
        foreach (var customer in Customers)
        {
            var usage = await tenant.UsageAsync(customer);
            Assert.Equal(list.Where(e => e.Customer == customer).Sum(e => e.Credits), usage["credits"].GetProperty("value").GetDecimal());
            Assert.Equal(list.Count(e => e.Customer == customer), usage["calls"].GetProperty("value").GetDecimal());
        }
    }
}
