using System.Collections.Concurrent;
using System.Diagnostics;
using Flexprice.Client.Events;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flexprice.Tests.Client;

/// <summary>
/// The background sender while the server (its own OS process) is killed with SIGKILL and started
/// again: bulks in flight are cut, the sender keeps its events (back-pressure on the producers once
/// its buffer is full) and sends them again with the same ids once the server is back. Every event
/// tracked is stored once and counted once: the totals equal the recomputation from what was tracked.
/// </summary>
public sealed class SenderServerRestartTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ServerProcess? _server;

    public void Dispose()
    {
        if (_server is not null)
        {
            _server.Dispose();
            output.WriteLine($"--- end of the output of the last server process (pid {_server.Id}) ---\n{_server.Tail(60)}");
        }
    }

    [Fact]
    public async Task Events_tracked_across_a_kill_9_and_a_restart_of_the_server_are_each_counted_exactly_once()
    {
        var settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "client-restart") with
        {
            Extra = new Dictionary<string, string>
            {
                ["RateLimits__EventsPerMinute"] = "1000000",
                ["RateLimits__ReadsPerMinute"] = "1000000",
                ["RateLimits__BulkPerMinute"] = "100000",
            },
        };
        _server = await ServerProcess.StartAsync(settings, ReadyTimeout);
        var tenant = await EventLedger.NewTenantAsync(settings, customers: 6);
        var log = new RequestLog();
        var tracked = new ConcurrentQueue<(string Customer, decimal Credits, string EventId)>();
        const int MaxBuffered = 3000;
        await using var provider = FlexpriceClients.Remote(settings.BaseAddress, tenant.ApiKey, o =>
        {
            o.BatchSize = 200;
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.MaxBufferedEvents = MaxBuffered;
            o.MaxConcurrentBulks = 2;
            o.AttemptTimeout = TimeSpan.FromSeconds(10);
            o.MaxRetryAttempts = 2;
            o.RetryDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.ShutdownTimeout = TimeSpan.FromMinutes(2);
        }, log);
        var sender = provider.Sender();

        using var stop = new CancellationTokenSource();
        var producers = Enumerable.Range(0, 3).Select(p => Task.Run(async () =>
        {
            var random = new Random(p);
            try
            {
                while (true)
                {
                    var customer = tenant.Customers[random.Next(tenant.Customers.Count)];
                    var credits = new decimal(random.Next(1, 1_000_000), 0, 0, false, (byte)random.Next(0, 4));
                    var id = await sender.TrackAsync(
                        new UsageEvent(EventLedger.EventName, customer) { Properties = new Dictionary<string, object?> { ["credits"] = credits, ["model"] = "gpt-4" } },
                        stop.Token);
                    tracked.Enqueue((customer, credits, id));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        })).ToList();

        await WaitForAsync(() => sender.Statistics.Sent >= 3000, "3000 events acknowledged before the kill");
        var beforeKill = sender.Statistics;
        var attemptsBeforeKill = log.Attempts.Count;
        _server.Kill();
        Log($"killed the server: {beforeKill}");
        await WaitForAsync(() => log.Attempts.Skip(attemptsBeforeKill).Any(a => a.Status == 0), "a bulk failing while the server is down");
        await WaitForAsync(() => sender.Statistics.Pending >= MaxBuffered, "the buffer filling up while the server is down");
        Log($"buffer full, producers waiting: {sender.Statistics}");
        _server.Dispose();

        _server = await ServerProcess.StartAsync(settings, ReadyTimeout);
        var atRestart = sender.Statistics;
        Log($"server restarted: {atRestart}");
        await WaitForAsync(() => sender.Statistics.Sent >= atRestart.Sent + MaxBuffered + 3000, "the held events and 3000 more acknowledged after the restart");
        await stop.CancelAsync();
        await Task.WhenAll(producers);
        await sender.DisposeAsync();
        var final = sender.Statistics;
        var failedAttempts = log.Attempts.Count(a => a.Status is 0 or >= 500);
        Log($"flushed: {final}; {log.Attempts.Count} bulk attempts, {failedAttempts} of them unanswered or 5xx");

        Assert.Equal((tracked.Count, tracked.Count, 0L, 0L, 0L, 0L), (final.Tracked, final.Sent, final.Refused, final.Failed, final.Dropped, final.Pending));
        var stored = await EventLedger.StoredAsync(tenant.Id);
        Assert.Equal(tracked.Select(t => t.EventId).Order(), stored.Keys.Order());
        Assert.All(tracked, t => Assert.Equal((t.Customer, t.Credits), stored[t.EventId]));
        using var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey);
        foreach (var customer in tenant.Customers)
        {
            var usage = await EventLedger.UsageAsync(http, customer);
            var mine = tracked.Where(t => t.Customer == customer).ToList();
            Assert.Equal(mine.Sum(t => t.Credits), usage.Credits);
            Assert.Equal(mine.Count, usage.Calls);
        }

        Log($"{tracked.Count} events tracked, stored once each; every customer's usage equals the recomputation");
    }

    private async Task WaitForAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Patience, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}");
}
