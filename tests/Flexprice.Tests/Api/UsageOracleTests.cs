using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>
/// Usage equals a recomputation from the events the API accepted: a few hundred random events over
/// a handful of customers, sent singly and in bulk, with retries, conflicts and refused bulks mixed in.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class UsageOracleTests(ApiFactory api)
{
    private static readonly string[] Customers = ["c1", "c2", "c3", "c4", "c5"];
    private static readonly DateTime Epoch = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Usage_equals_a_recomputation_from_the_accepted_events()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("usage", "COUNT", name: "count");
        await tenant.CreateFeatureAsync("usage", "SUM", "amount", name: "sum");
        await tenant.CreateFeatureAsync("usage", "MAX", "amount", name: "max");
        await tenant.CreateFeatureAsync("usage", "LATEST", "state", name: "latest");
        await tenant.CreateFeatureAsync("usage", "COUNT_UNIQUE", "user", name: "unique");
        await tenant.CreateFeatureAsync("ping", "COUNT", name: "pings");
        foreach (var customer in Customers)
        {
            await tenant.CreateCustomerAsync(customer);
        }

        var accepted = new List<SentEvent>();
        var next = 0;
        while (next < 300)
        {
            var roll = random.NextDouble();
            if (roll < 0.4)
            {
                // One event: new, or (a fifth of the time) a retry of an accepted one.
                var e = accepted.Count > 0 && random.NextDouble() < 0.2 ? accepted[random.Next(accepted.Count)] : NewEvent(random, next++);
                var response = await tenant.PostEventAsync(e.Json);
                var body = await response.ReadJsonAsync(HttpStatusCode.Accepted);
                Record(accepted, e, body.GetProperty("event_id").GetString()!);
            }
            else if (roll < 0.9)
            {
                // A bulk of new events and retries, in any order.
                var batch = Enumerable.Range(0, random.Next(1, 12))
                    .Select(_ => accepted.Count > 0 && random.NextDouble() < 0.2 ? accepted[random.Next(accepted.Count)] : NewEvent(random, next++))
                    .ToList();
                var body = await (await tenant.PostBulkAsync([.. batch.Select(e => e.Json)])).ReadJsonAsync(HttpStatusCode.Accepted);
                var ids = body.GetProperty("event_ids").EnumerateArray().Select(id => id.GetString()!).ToList();
                for (var i = 0; i < batch.Count; i++)
                {
                    Record(accepted, batch[i], ids[i]);
                }
            }
            else if (roll < 0.95 && accepted.Any(e => e.EventId is not null))
            {
                // A conflicting retry inside an otherwise good bulk: 409, and none of it is stored.
                var original = accepted.Where(e => e.EventId is not null).ElementAt(random.Next(accepted.Count(e => e.EventId is not null)));
                var conflicting = original with { Json = new Dictionary<string, object?>(original.Json) { ["properties"] = Properties(random, original.Customer) } };
                await (await tenant.PostBulkAsync(NewEvent(random, next++).Json, conflicting.Json)).ReadJsonAsync(HttpStatusCode.Conflict);
            }
            else
            {
                // A bulk with one bad event: 400, and none of it is stored.
                var bad = new Dictionary<string, object?> { ["event_name"] = "usage", ["external_customer_id"] = Customers[0], ["properties"] = new { amount = "lots" } };
                await (await tenant.PostBulkAsync(NewEvent(random, next++).Json, bad, NewEvent(random, next++).Json)).ReadJsonAsync(HttpStatusCode.BadRequest);
            }
        }

        foreach (var customer in Customers)
        {
            var mine = accepted.Where(e => e.Customer == customer).ToList();
            var usage = mine.Where(e => e.Name == "usage").ToList();
            var actual = await tenant.UsageAsync(customer);
            var context = $"customer {customer}, seed {seed}";

            Assert.True(usage.Count == actual["count"].GetProperty("value").GetDecimal(), context);
            Assert.True(usage.Sum(e => e.Amount) == actual["sum"].GetProperty("value").GetDecimal(), $"sum: {context}");
            Assert.True(usage.Count == actual["sum"].GetProperty("event_count").GetInt64(), context);
            Assert.True((usage.Count == 0 ? 0m : usage.Max(e => e.Amount)) == actual["max"].GetProperty("value").GetDecimal(), $"max: {context}");
            Assert.True(usage.Select(e => e.User).Distinct().Count() == actual["unique"].GetProperty("value").GetDecimal(), $"unique: {context}");
            Assert.True(mine.Count(e => e.Name == "ping") == actual["pings"].GetProperty("value").GetDecimal(), $"pings: {context}");

            // LATEST: greatest timestamp (no timestamp = server time, later than every past one); ties: the later ingested.
            var latest = actual["latest"].GetProperty("value");
            if (usage.Count == 0)
            {
                Assert.Equal(0m, latest.GetDecimal());
                continue;
            }

            var expected = usage.Select((e, order) => (e, order)).OrderBy(x => x.e.Timestamp ?? DateTime.MaxValue).ThenBy(x => x.order).Last().e.State;
            if (expected is string text)
            {
                Assert.True(latest.ValueKind == JsonValueKind.String && latest.GetString() == text, $"latest: expected {text}, got {latest}; {context}");
            }
            else
            {
                Assert.True(latest.ValueKind == JsonValueKind.Number && latest.GetDecimal() == (decimal)expected, $"latest: expected {expected}, got {latest}; {context}");
            }
        }
    }

    /// <summary>Adds an event to the accepted list unless its id was accepted before (a retry: counted once).</summary>
    private static void Record(List<SentEvent> accepted, SentEvent e, string answeredId)
    {
        if (e.EventId is not null)
        {
            Assert.Equal(e.EventId, answeredId);
            if (accepted.Any(a => a.Customer == e.Customer && a.EventId == e.EventId))
            {
                return;
            }
        }

        accepted.Add(e);
    }

    private static SentEvent NewEvent(Random random, int n)
    {
        var customer = Customers[random.Next(Customers.Length)];
        var name = random.NextDouble() < 0.15 ? "ping" : "usage";
        // Few distinct timestamps, so LATEST meets ties; a tenth without one (server time).
        DateTime? timestamp = random.NextDouble() < 0.1 ? null : Epoch.AddMinutes(random.Next(40));
        var json = new Dictionary<string, object?>
        {
            ["event_name"] = name,
            ["external_customer_id"] = customer,
        };
        if (random.NextDouble() < 0.85)
        {
            // Ids repeat across customers: the idempotency key is per customer.
            json["event_id"] = $"evt_{n % 97}_{n}";
        }

        if (timestamp is { } t)
        {
            json["timestamp"] = t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }

        var properties = name == "usage" ? Properties(random, customer) : new Dictionary<string, object?> { ["note"] = "ping" };
        json["properties"] = properties;
        return new SentEvent(customer, json.TryGetValue("event_id", out var id) ? (string?)id : null, name, timestamp, json);
    }

    private static Dictionary<string, object?> Properties(Random random, string customer)
    {
        var amount = Math.Round((decimal)(random.NextDouble() * 2000 - 1000), random.Next(0, 5));
        object? state = random.NextDouble() < 0.5 ? $"state-{random.Next(1000)}" : Math.Round((decimal)(random.NextDouble() * 100), 2);
        return new Dictionary<string, object?>
        {
            // A third of the amounts as numeric strings, which SUM and MAX accept.
            ["amount"] = random.NextDouble() < 0.33 ? amount.ToString(CultureInfo.InvariantCulture) : amount,
            ["state"] = state,
            ["user"] = $"user-{random.Next(12)}",
            ["customer"] = customer,
        };
    }

    private sealed record SentEvent(string Customer, string? EventId, string Name, DateTime? Timestamp, Dictionary<string, object?> Json)
    {
        private Dictionary<string, object?> Properties => (Dictionary<string, object?>)Json["properties"]!;

        public decimal Amount => Properties["amount"] is string s ? decimal.Parse(s, CultureInfo.InvariantCulture) : (decimal)Properties["amount"]!;

        public object State => Properties["state"]!;

        public string User => (string)Properties["user"]!;
    }
}
