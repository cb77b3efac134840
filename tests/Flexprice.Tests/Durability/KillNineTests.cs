using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flexprice.Tests.Durability;

/// <summary>
/// "202 is durable" and "exactly-once usage" (DESIGN.md) against the real server in its own OS
/// process, killed with SIGKILL: no shutdown code, no last checkpoint, requests cut mid-flight.
/// After a restart, every acknowledged event is stored and counted exactly once; retries of every
/// event, acknowledged or cut, are recognised and the in-flight ones end up stored exactly once.
/// </summary>
public sealed class KillNineTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ServerProcess? _server;

    public void Dispose()
    {
        if (_server is not null)
        {
            _server.Dispose();
            output.WriteLine($"--- end of the output of the last server process (pid {_server.Id}) ---\n{_server.Tail(100)}");
        }
    }

    [Fact]
    public async Task Kill_9_under_concurrent_load_loses_no_acknowledged_event_and_counts_none_twice()
    {
        // Frequent checkpoints, so that the kill lands among them: restarts then load a checkpoint
        // and replay the log after it, as well as replaying customers never checkpointed.
        var settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "kill9") with
        {
            Extra = new Dictionary<string, string>
            {
                ["CustomerGrain__CheckpointEveryEvents"] = "150",
                ["CustomerGrain__CheckpointInterval"] = "00:00:01",
            },
        };
        await StartServerAsync(settings);
        var tenant = await EventLedger.NewTenantAsync(settings, customers: 6);
        var ledger = new EventLedger();

        for (var round = 1; round <= 2; round++)
        {
            var load = new LoadRun(settings, tenant, ledger, round);
            var outcome = await load.RunAndKillAsync(_server!);
            Log($"round {round}: killed with {outcome.InFlightAtKill} requests in flight; {outcome.Requests} requests, " +
                $"{ledger.SentCount} events sent so far, {ledger.AcknowledgedCount} acknowledged, {outcome.Cut} requests cut, {outcome.RateLimited} rate-limited");
            Assert.True(outcome.Failures.Count == 0, $"round {round}: unexpected answers before the kill:\n{string.Join('\n', outcome.Failures.Take(20))}");
            // Requests must be in flight at the kill. How many of them the client then sees cut is up
            // to the TCP stack's timing (a request can also fail before it was sent), so it is only logged.
            Assert.True(outcome.InFlightAtKill > 0, $"the kill must land while requests are in flight ({outcome.InFlightAtKill} in flight, {outcome.Cut} cut)");
            Assert.True(outcome.AcknowledgedThisRound > 0, "no event was acknowledged before the kill");
            var checkpoints = await CheckpointedKeysAsync(settings.ClusterId);
            Assert.NotEmpty(checkpoints);
            _server!.Dispose();
            _server = null;

            await StartServerAsync(settings);
            var stored = await EventLedger.StoredAsync(tenant.Id);
            var missing = ledger.Acknowledged.Where(id => !stored.ContainsKey(id)).ToList();
            Assert.True(missing.Count == 0, $"round {round}: {missing.Count} acknowledged events are not stored, e.g. {string.Join(", ", missing.Take(10))}");
            AssertStoredAsSent(ledger, stored);
            Log($"round {round}: {checkpoints.Count} customers had a checkpoint at the kill; restarted; {stored.Count} events stored ({stored.Count - ledger.AcknowledgedCount} of them unacknowledged)");
            await AssertUsageAsync(settings, tenant, stored, $"round {round}, after the restart");

            await ResendAllAsync(settings, tenant, ledger);
            stored = await EventLedger.StoredAsync(tenant.Id);
            Assert.Equal(ledger.SentCount, stored.Count);
            AssertStoredAsSent(ledger, stored);
            await AssertUsageAsync(settings, tenant, stored, $"round {round}, after resending everything");
            Log($"round {round}: all {ledger.SentCount} events resent, all 202, each counted once");
        }
    }

    [Fact]
    public async Task Kill_9_before_the_next_checkpoint_loses_nothing_the_log_is_replayed()
    {
        // Checkpoint after 20 new events, and no timer within the test: customer A's first bulk
        // is checkpointed and its next events are not; customer B is never checkpointed.
        var settings = ServerSettings.Fresh(await TestDatabase.ReadyAsync(), "kill9-replay") with
        {
            Extra = new Dictionary<string, string>
            {
                ["CustomerGrain__CheckpointEveryEvents"] = "20",
                ["CustomerGrain__CheckpointInterval"] = "00:30:00",
            },
        };
        await StartServerAsync(settings);
        var tenant = await EventLedger.NewTenantAsync(settings, customers: 2);
        var (a, b) = (tenant.Customers[0], tenant.Customers[1]);
        var ledger = new EventLedger();
        var random = new Random(42);
        var n = 0;
        SentEvent New(string customer) => EventLedger.NewEvent($"evt-{customer}-{++n}", customer, random);

        using (var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey))
        {
            var firstBulk = Enumerable.Range(0, 25).Select(_ => New(a)).ToList();
            await SendUntilAcceptedAsync(http, firstBulk, bulk: true, ledger);
            foreach (var e in Enumerable.Range(0, 7).Select(_ => New(a)).Concat(Enumerable.Range(0, 10).Select(_ => New(b))).ToList())
            {
                await SendUntilAcceptedAsync(http, [e], bulk: false, ledger);
            }

            // Read-your-writes before the kill.
            await AssertUsageAsync(settings, tenant, await EventLedger.StoredAsync(tenant.Id), "before the kill");
        }

        var checkpointed = await CheckpointedKeysAsync(settings.ClusterId);
        Assert.Contains(checkpointed, key => key.EndsWith($"/{a}", StringComparison.Ordinal));
        Assert.DoesNotContain(checkpointed, key => key.EndsWith($"/{b}", StringComparison.Ordinal));

        _server!.Kill();
        _server.Dispose();
        _server = null;
        await StartServerAsync(settings);

        var stored = await EventLedger.StoredAsync(tenant.Id);
        Assert.Equal(42, stored.Count);
        AssertStoredAsSent(ledger, stored);
        await AssertUsageAsync(settings, tenant, stored, "after the restart");

        // Retries after the restart are recognised: from the checkpoint's memory, the replay's, or the log.
        using (var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey))
        {
            await SendUntilAcceptedAsync(http, ledger.Sent, bulk: true, ledger);
            await SendUntilAcceptedAsync(http, [ledger.Sent.First()], bulk: false, ledger);
            await SendUntilAcceptedAsync(http, [ledger.Sent.Last()], bulk: false, ledger);
        }

        Assert.Equal(42, (await EventLedger.StoredAsync(tenant.Id)).Count);
        await AssertUsageAsync(settings, tenant, stored, "after resending everything");
    }

    private async Task StartServerAsync(ServerSettings settings)
    {
        var started = _clock.Elapsed;
        _server = await ServerProcess.StartAsync(settings, ReadyTimeout);
        Log($"server pid {_server.Id} ready in {(_clock.Elapsed - started).TotalSeconds:0.0} s");
    }

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.00} s] {message}");

    /// <summary>Every stored event is one the test sent, for the customer and with the credits it was sent with.</summary>
    private static void AssertStoredAsSent(EventLedger ledger, Dictionary<string, (string Customer, decimal Credits)> stored)
    {
        foreach (var (id, (customer, credits)) in stored)
        {
            Assert.True(ledger.WasSent(id), $"stored event {id} was never sent");
            var sent = ledger[id];
            Assert.True(sent.Customer == customer && sent.Credits == credits, $"stored event {id} is ({customer}, {credits}), sent as ({sent.Customer}, {sent.Credits})");
        }
    }

    /// <summary>Each customer's usage is exactly the stored events: the SUM of their credits, and their count, once each.</summary>
    private static async Task AssertUsageAsync(ServerSettings settings, TestTenant tenant, Dictionary<string, (string Customer, decimal Credits)> stored, string when)
    {
        using var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey);
        foreach (var customer in tenant.Customers)
        {
            var events = stored.Values.Where(s => s.Customer == customer).ToList();
            var expected = new ReportedUsage(events.Sum(s => s.Credits), events.Count, events.Count);
            var actual = await EventLedger.UsageAsync(http, customer);
            Assert.True(expected == actual, $"{when}: usage of {customer} is {actual}, the stored events make {expected}");
        }
    }

    /// <summary>Resends every event ever sent, with the same ids and bodies: every request must be answered 202.</summary>
    private static async Task ResendAllAsync(ServerSettings settings, TestTenant tenant, EventLedger ledger)
    {
        using var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey);
        var all = ledger.Sent.ToList();
        // Every tenth event alone on the single-event route; the rest in bulks spanning customers.
        var requests = all.Where((_, i) => i % 10 == 0).Select(e => (Events: (IReadOnlyList<SentEvent>)[e], Bulk: false))
            .Concat(all.Where((_, i) => i % 10 != 0).Chunk(200).Select(c => (Events: (IReadOnlyList<SentEvent>)c, Bulk: true)))
            .ToList();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (request, _) =>
            await SendUntilAcceptedAsync(http, request.Events, request.Bulk, ledger));
    }

    /// <summary>Sends until answered 202 (waiting out 429s); any other answer fails the test. Records the events as sent and acknowledged.</summary>
    private static async Task SendUntilAcceptedAsync(HttpClient http, IReadOnlyCollection<SentEvent> events, bool bulk, EventLedger ledger)
    {
        foreach (var e in events.Where(e => !ledger.WasSent(e.EventId)))
        {
            ledger.RecordSent(e);
        }

        for (var attempt = 1; ; attempt++)
        {
            using var content = bulk ? EventLedger.BulkBody(events) : EventLedger.SingleBody(events.Single());
            using var response = await http.PostAsync(bulk ? "/v1/events/bulk" : "/v1/events", content);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                ledger.RecordAcknowledged(events);
                return;
            }

            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests && attempt < 100,
                $"sending {events.Count} events ({(bulk ? "bulk" : "single")}, first {events.First().EventId}) answered {(int)response.StatusCode}: {body}");
            await Task.Delay(RetryAfter(response.Headers.RetryAfter));
        }
    }

    private static TimeSpan RetryAfter(RetryConditionHeaderValue? header) =>
        header?.Delta is { } delta ? TimeSpan.FromTicks(Math.Clamp(delta.Ticks, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(2).Ticks))
        : TimeSpan.FromMilliseconds(200);

    /// <summary>The keys (<c>tenant/customer</c>) of the customer grains that have a checkpoint in this service's grain storage.</summary>
    private static async Task<List<string>> CheckpointedKeysAsync(string serviceId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(await TestDatabase.ReadyAsync());
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT coalesce(grainidextensionstring, '') FROM orleansstorage WHERE serviceid = @service", connection);
        command.Parameters.AddWithValue("service", serviceId);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>What one round of load saw until the kill.</summary>
    private sealed record LoadOutcome(int Requests, int InFlightAtKill, int Cut, int RateLimited, int AcknowledgedThisRound, IReadOnlyCollection<string> Failures);

    /// <summary>
    /// Several senders post single and bulk events (several customers per bulk, now and then a big
    /// bulk) as fast as they are answered; once enough are acknowledged, another task kills the
    /// server while requests are in flight. One of them is held half-sent at the kill, so at least
    /// one request surely dies with the server. A request that dies with the server is neither
    /// acknowledged nor a failure.
    /// </summary>
    private sealed class LoadRun(ServerSettings settings, TestTenant tenant, EventLedger ledger, int round)
    {
        private const int Senders = 8;
        private const int MaxBulk = 25;
        private const int MaxBigBulk = 300;
        private const int MinAcknowledged = 300;
        private static readonly TimeSpan MinSending = TimeSpan.FromSeconds(1.5);
        private static readonly TimeSpan MaxSending = TimeSpan.FromSeconds(8);

        private readonly ConcurrentQueue<string> _failures = new();
        private readonly TaskCompletionSource _killed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _killing;
        private int _inFlight;
        private int _requests;
        private int _cut;
        private int _rateLimited;
        private int _acknowledged;

        public async Task<LoadOutcome> RunAndKillAsync(ServerProcess server)
        {
            using var http = EventLedger.Client(settings.BaseAddress, tenant.ApiKey);
            var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(() => SendAsync(http, s))).ToArray();
            var watch = Stopwatch.StartNew();
            var extra = TimeSpan.FromMilliseconds(new Random(round).Next(0, 500));
            while ((Volatile.Read(ref _acknowledged) < MinAcknowledged || watch.Elapsed < MinSending + extra)
                   && watch.Elapsed < MaxSending && !senders.All(t => t.IsCompleted))
            {
                await Task.Delay(10);
            }

            // A bulk whose body stops halfway: the server has its headers and half its events when it dies.
            var random = new Random(round);
            var held = Enumerable.Range(1, 10)
                .Select(i => EventLedger.NewEvent($"evt-r{round}-held-{i}", tenant.Customers[random.Next(tenant.Customers.Count)], random))
                .ToList();
            var halfSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var heldRequest = Task.Run(() => PostAsync(http, held, bulk: true, new HalfThenWaitContent(EventLedger.BulkJson(held), halfSent, _killed.Task)));
            await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await Task.Delay(50);

            // Strike while the senders' requests are in flight too (with 8 busy senders there nearly always are).
            while (Volatile.Read(ref _inFlight) <= 1 && watch.Elapsed < MaxSending + TimeSpan.FromSeconds(2))
            {
                await Task.Yield();
            }

            Volatile.Write(ref _killing, 1);
            var inFlightAtKill = Volatile.Read(ref _inFlight);
            server.Kill();
            _killed.TrySetResult();

            await Task.WhenAll(senders.Append(heldRequest));
            return new LoadOutcome(_requests, inFlightAtKill, _cut, _rateLimited, _acknowledged, [.. _failures]);
        }

        private async Task SendAsync(HttpClient http, int sender)
        {
            var random = new Random(HashCode.Combine(round, sender, Environment.TickCount));
            var n = 0;
            while (Volatile.Read(ref _killing) == 0)
            {
                var count = random.Next(3) == 0 ? 1 : random.Next(10) == 0 ? random.Next(MaxBulk, MaxBigBulk + 1) : random.Next(2, MaxBulk + 1);
                var events = new List<SentEvent>(count);
                for (var i = 0; i < count; i++)
                {
                    events.Add(EventLedger.NewEvent($"evt-r{round}-s{sender}-{++n}", tenant.Customers[random.Next(tenant.Customers.Count)], random));
                }

                var bulk = count > 1 || random.Next(2) == 0;
                await PostAsync(http, events, bulk, bulk ? EventLedger.BulkBody(events) : EventLedger.SingleBody(events[0]));
            }
        }

        private async Task PostAsync(HttpClient http, List<SentEvent> events, bool bulk, HttpContent content)
        {
            foreach (var e in events)
            {
                ledger.RecordSent(e);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, bulk ? "/v1/events/bulk" : "/v1/events") { Content = content };
            Interlocked.Increment(ref _requests);
            Interlocked.Increment(ref _inFlight);
            HttpResponseMessage response;
            try
            {
                // Headers suffice: the server writes its status only after the commit.
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                if (Volatile.Read(ref _killing) == 1)
                {
                    Interlocked.Increment(ref _cut);
                }
                else
                {
                    _failures.Enqueue($"{request.RequestUri}: {ex.GetType().Name}: {ex.Message}");
                }

                return;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    ledger.RecordAcknowledged(events);
                    Interlocked.Add(ref _acknowledged, events.Count);
                    await CheckAcceptedBodyAsync(response, events, bulk);
                }
                else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref _rateLimited);
                    await Task.Delay(RetryAfter(response.Headers.RetryAfter));
                }
                else
                {
                    _failures.Enqueue($"{request.RequestUri}: {(int)response.StatusCode} {await ReadOrEmptyAsync(response)}");
                }
            }
        }

        /// <summary>The 202 body names the events (single: its id; bulk: all ids in order), unless the kill cut the body short.</summary>
        private async Task CheckAcceptedBodyAsync(HttpResponseMessage response, List<SentEvent> events, bool bulk)
        {
            var text = await ReadOrEmptyAsync(response);
            if (text.Length == 0 && Volatile.Read(ref _killing) == 1)
            {
                return;
            }

            try
            {
                using var body = JsonDocument.Parse(text);
                var ids = bulk
                    ? body.RootElement.GetProperty("event_ids").EnumerateArray().Select(x => x.GetString()).ToList()
                    : [body.RootElement.GetProperty("event_id").GetString()];
                if (!ids.SequenceEqual(events.Select(e => e.EventId)))
                {
                    _failures.Enqueue($"202 names other events: {text}");
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                if (Volatile.Read(ref _killing) == 0)
                {
                    _failures.Enqueue($"202 with an unreadable body ({ex.Message}): {text}");
                }
            }
        }

        private static async Task<string> ReadOrEmptyAsync(HttpResponseMessage response)
        {
            try
            {
                return await response.Content.ReadAsStringAsync();
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                return "";
            }
        }
    }

    /// <summary>A JSON request body that sends its first half, then waits for <c>resume</c> before the rest.</summary>
    private sealed class HalfThenWaitContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly TaskCompletionSource _halfSent;
        private readonly Task _resume;

        public HalfThenWaitContent(string json, TaskCompletionSource halfSent, Task resume)
        {
            _body = Encoding.UTF8.GetBytes(json);
            _halfSent = halfSent;
            _resume = resume;
            Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = _body.Length / 2;
            await stream.WriteAsync(_body.AsMemory(0, half));
            await stream.FlushAsync();
            _halfSent.TrySetResult();
            await _resume;
            await stream.WriteAsync(_body.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
