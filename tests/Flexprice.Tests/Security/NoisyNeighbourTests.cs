using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Tests.Durability;
using Xunit.Abstractions;

namespace Flexprice.Tests.Security;

/// <summary>
/// "No noisy neighbours" (DESIGN.md): while tenant A sends poison from several threads, tenant B, ingesting
/// single and bulk events from several threads on the same server, gets only 202s on the first try and
/// exact usage. A's poison comes two ways: over HTTP (NUL in every string, 4,000-character names, 2 MB
/// properties, 1e400), which the door refuses; and straight into A's customer grains, the way a gap in the
/// door's validation would let it through, so that PostgreSQL itself refuses rows in the group commit that
/// B's rows share. Without the writer's isolation of refused rows, B's requests fail with 503.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class NoisyNeighbourTests(RealServerFixture server, ITestOutputHelper output)
{
    [Fact]
    public async Task Tenant_B_gets_only_first_try_202s_and_exact_usage_while_tenant_A_sends_poison()
    {
        var settings = server.Settings;
        var victim = await EventLedger.NewTenantAsync(settings, customers: 10);
        var poisoner = await EventLedger.NewTenantAsync(settings, customers: 4);
        var cluster = await server.ClusterClientAsync();
        using var b = EventLedger.Client(settings.BaseAddress, victim.ApiKey);
        using var a = EventLedger.Client(settings.BaseAddress, poisoner.ApiKey);

        var ledger = new EventLedger();
        var failures = new ConcurrentQueue<string>();
        var poisonProblems = new ConcurrentQueue<string>();
        var poisonAnswers = new ConcurrentDictionary<string, int>();
        var refusedInGrains = 0;
        using var stop = new CancellationTokenSource();

        // A, over HTTP: every answer must be a 4xx.
        var httpPoison = Enumerable.Range(0, 3).Select(t => Task.Run(async () =>
        {
            var random = new Random(t);
            while (!stop.IsCancellationRequested)
            {
                var (route, body) = PoisonRequest(poisoner, random);
                using var response = await a.PostAsync(route, new StringContent(body, Encoding.UTF8, "application/json"));
                poisonAnswers.AddOrUpdate($"{(int)response.StatusCode}", 1, (_, n) => n + 1);
                if ((int)response.StatusCode is < 400 or >= 500)
                {
                    poisonProblems.Enqueue($"poison over HTTP to {route} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        })).ToList();

        // A, straight into its grains: rows PostgreSQL refuses, in the same flushes as B's rows.
        var grainPoison = Enumerable.Range(0, 3).Select(t => Task.Run(async () =>
        {
            var random = new Random(100 + t);
            while (!stop.IsCancellationRequested)
            {
                var customer = poisoner.Customers[random.Next(poisoner.Customers.Count)];
                var grain = cluster.GetGrain<ICustomerGrain>(CustomerKey.For(poisoner.Id, customer));
                IngestResult result;
                try
                {
                    result = await grain.Ingest(new IngestBatch(0, [GrainPoison(random)]));
                }
                catch (Exception ex)
                {
                    poisonProblems.Enqueue($"poison in a grain of {customer} threw {ex.GetType().Name}: {ex.Message}");
                    continue;
                }

                if (result.Refused is null)
                {
                    poisonProblems.Enqueue($"poison in a grain of {customer} was not refused: {string.Join(",", result.Outcomes)}");
                }
                else
                {
                    Interlocked.Increment(ref refusedInGrains);
                }
            }
        })).ToList();

        // B: 4 threads of single events and 2 of bulks, every answer must be 202 at the first try.
        var singles = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            var random = new Random(200 + t);
            for (var i = 0; i < 150; i++)
            {
                var e = EventLedger.NewEvent($"b-single-{t}-{i}", victim.Customers[random.Next(victim.Customers.Count)], random);
                ledger.RecordSent(e);
                using var response = await b.PostAsync("/v1/events", EventLedger.SingleBody(e));
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    ledger.RecordAcknowledged([e]);
                }
                else
                {
                    failures.Enqueue($"B's single event answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));
        var bulks = Enumerable.Range(0, 2).Select(t => Task.Run(async () =>
        {
            var random = new Random(300 + t);
            for (var i = 0; i < 30; i++)
            {
                var events = Enumerable.Range(0, 40)
                    .Select(k => EventLedger.NewEvent($"b-bulk-{t}-{i}-{k}", victim.Customers[random.Next(victim.Customers.Count)], random))
                    .ToList();
                events.ForEach(ledger.RecordSent);
                using var response = await b.PostAsync("/v1/events/bulk", EventLedger.BulkBody(events));
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    ledger.RecordAcknowledged(events);
                }
                else
                {
                    failures.Enqueue($"B's bulk answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));

        await Task.WhenAll(singles.Concat(bulks));
        await stop.CancelAsync();
        await Task.WhenAll(httpPoison.Concat(grainPoison));

        output.WriteLine($"A's poison over HTTP: {string.Join(", ", poisonAnswers.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))}; refused in grains: {refusedInGrains}");
        Assert.True(failures.IsEmpty, $"{failures.Count} of B's requests failed, e.g.:\n{string.Join('\n', failures.Take(10))}");
        Assert.True(poisonProblems.IsEmpty, string.Join('\n', poisonProblems.Take(10)));
        Assert.True(refusedInGrains > 0, "no poison reached the group commit");
        Assert.Equal(ledger.SentCount, ledger.AcknowledgedCount);

        // B's usage is exactly what B sent, customer by customer.
        foreach (var customer in victim.Customers)
        {
            var sent = ledger.Sent.Where(e => e.Customer == customer).ToList();
            var usage = await EventLedger.UsageAsync(b, customer);
            Assert.Equal(sent.Sum(e => e.Credits), usage.Credits);
            Assert.Equal(sent.Count, usage.Calls);
        }

        // And nothing of A's poison is stored.
        Assert.Empty(await EventLedger.StoredAsync(poisoner.Id));
    }

    /// <summary>One poisonous request of tenant A: the door must refuse it with a 4xx.</summary>
    private static (string Route, string Body) PoisonRequest(TestTenant poisoner, Random random)
    {
        var customer = poisoner.Customers[random.Next(poisoner.Customers.Count)];
        var longName = new string('n', 4000);
        var poison = random.Next(7) switch
        {
            0 => Event(customer, source: "api\u0000"),
            1 => Event(customer + "\u0000"),
            2 => Event(customer, eventId: $"e\u0000{random.Next()}"),
            3 => Event(customer, eventName: longName),
            4 => Event(customer, properties: $"{{\"credits\": 1, \"blob\": \"{new string('x', 2 * 1024 * 1024)}\"}}"),
            5 => Event(customer, properties: "{\"credits\": 1e400}"),
            _ => Event(customer, properties: "{\"credits\": 1, \"k\u0000\": \"v\u0000\"}"),
        };
        return random.Next(3) == 0 ? ("/v1/events/bulk", $"{{\"events\": [{Event(customer)}, {poison}]}}") : ("/v1/events", poison);
    }

    private static string Event(string customer, string eventName = EventLedger.EventName, string? eventId = null, string? source = null, string properties = "{\"credits\": 1}") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["event_name"] = eventName,
            ["external_customer_id"] = customer,
            ["event_id"] = eventId,
            ["source"] = source,
        }).TrimEnd('}') + $", \"properties\": {properties}}}";

    /// <summary>
    /// An event PostgreSQL refuses: a NUL in text, or an event id too large to index (event_ids' primary key; the log
    /// no longer indexes event names, so a long name alone is stored).
    /// </summary>
    private static IngestEvent GrainPoison(Random random)
    {
        var id = $"poison-{Guid.NewGuid():N}";
        var fingerprint = SHA256.HashData(Encoding.UTF8.GetBytes(id));
        var now = DateTime.UtcNow;
        var timestamp = new DateTime(now.Ticks - (now.Ticks % 10), DateTimeKind.Utc);
        return random.Next(3) switch
        {
            0 => new IngestEvent(id, EventLedger.EventName, timestamp, "src\u0000", """{"credits": 1}""", fingerprint, true),
            1 => new IngestEvent(id + "\u0000", EventLedger.EventName, timestamp, null, """{"credits": 1}""", fingerprint, true),
            _ => new IngestEvent(string.Concat(Enumerable.Range(0, 200).Select(_ => Guid.NewGuid().ToString("N"))), EventLedger.EventName, timestamp, null, "{}", fingerprint, false),
        };
    }
}
