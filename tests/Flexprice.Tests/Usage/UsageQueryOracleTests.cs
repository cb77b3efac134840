using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flexprice.Tests.Usage;

/// <summary>
/// <c>POST /v1/events/usage</c> equals a recomputation from the raw events: thousands of random events (several
/// customers, duplicates, out-of-order and tied timestamps, numeric strings) sent in bulk, then hundreds of
/// random queries (every aggregation and window size, unaligned ranges, UTC and DST zones, filters, buckets,
/// group_by) checked against the test's own arithmetic and its own minute-by-minute calendar.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class UsageQueryOracleTests(ApiFactory api, ITestOutputHelper output)
{
    private static readonly string[] Customers = ["c1", "c2", "c3"];
    private static readonly string[] Zones = ["UTC", "Europe/Berlin", "America/New_York"];
    private static readonly string[] Sizes = ["MINUTE", "15MIN", "30MIN", "HOUR", "3HOUR", "6HOUR", "12HOUR", "DAY", "WEEK", "MONTH"];
    private static readonly string[] Types = ["COUNT", "SUM", "AVG", "MIN", "MAX", "LATEST", "COUNT_UNIQUE", "SUM_WITH_MULTIPLIER", "WEIGHTED_SUM"];
    private DateTime SpanStart { get; set; }

    private DateTime SpanEnd { get; set; }

    private TimeSpan QueryLead { get; set; }

    /// <summary>
    /// Old events (a month holding New York's and Berlin's spring-forward days) are answered from the event log;
    /// the last day's events from the customer grains' memory, except for ranges reaching back past it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Usage_queries_equal_a_recomputation_from_the_raw_events(bool recent)
    {
        if (recent)
        {
            var now = DateTime.UtcNow;
            now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
            (SpanStart, SpanEnd, QueryLead) = (now.AddHours(-25), now.AddMinutes(-1), TimeSpan.FromHours(2));
        }
        else
        {
            (SpanStart, SpanEnd, QueryLead) = (new DateTime(2025, 3, 5, 0, 0, 0, DateTimeKind.Utc), new DateTime(2025, 4, 5, 0, 0, 0, DateTimeKind.Utc), TimeSpan.FromDays(1));
        }

        var seed = Environment.TickCount;
        var random = new Random(seed);
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("usage", "SUM", "amount", name: "amount");
        await tenant.CreateFeatureAsync("usage", "COUNT_UNIQUE", "user", name: "users");
        await tenant.CreateFeatureAsync("ping", "COUNT", name: "pings");
        foreach (var customer in Customers)
        {
            await tenant.CreateCustomerAsync(customer);
        }

        // Events, a few timestamps shared (LATEST ties), sent shuffled in bulks with earlier events resent.
        var tiedTimes = Enumerable.Range(0, 20).Select(_ => RandomTime(random)).ToList();
        var all = Enumerable.Range(0, 3000).Select(n => NewEvent(random, n, random.NextDouble() < 0.1 ? tiedTimes[random.Next(tiedTimes.Count)] : RandomTime(random))).ToList();
        var accepted = new List<Sent>();
        var seen = new HashSet<string>();
        var next = 0;
        while (next < all.Count)
        {
            var batch = all.Skip(next).Take(random.Next(200, 400)).ToList();
            next += batch.Count;
            batch.AddRange(accepted.OrderBy(_ => random.Next()).Take(random.Next(0, 30)));
            batch = [.. batch.OrderBy(_ => random.Next())];
            await (await tenant.PostBulkAsync([.. batch.Select(e => e.Json)])).ReadJsonAsync(HttpStatusCode.Accepted);
            foreach (var e in batch.Where(e => seen.Add(e.Id)))
            {
                accepted.Add(e);
            }
        }

        var calendars = new Dictionary<(string, string), BruteCalendar>();
        BruteCalendar Calendar(string size, string zone) =>
            calendars.TryGetValue((size, zone), out var c) ? c
            : calendars[(size, zone)] = new BruteCalendar(size, TimeZoneInfo.FindSystemTimeZoneById(zone), SpanStart.AddDays(-45), SpanEnd.AddDays(45));

        var latencies = new List<double>();
        var sources = new Dictionary<string, int> { ["memory"] = 0, ["log"] = 0 };
        for (var q = 0; q < 250; q++)
        {
            var query = RandomQuery(random);
            var context = $"seed {seed}, query {q}: {JsonSerializer.Serialize(query.Body)}";
            var stopwatch = Stopwatch.StartNew();
            var response = await tenant.Http.PostAsJsonAsync("/v1/events/usage", query.Body);
            var body = await response.ReadJsonAsync(HttpStatusCode.OK);
            latencies.Add(stopwatch.Elapsed.TotalMilliseconds);
            sources[body.GetProperty("source").GetString()!]++;

            var items = accepted
                .Where(e => e.Customer == query.Customer && e.Name == "usage" && e.Time >= query.Start && e.Time < query.End && query.Matches(e))
                .Where(e => query.Type == "COUNT" || e.Value(query.Field!) is not null)
                .ToList();
            AssertValue(Aggregate(query, items, query.Start, query.End, Calendar), body.GetProperty("value"), $"total; {context}");

            var results = body.GetProperty("results").EnumerateArray().ToList();
            if (query.Window is null)
            {
                Assert.Empty(results);
                continue;
            }

            var calendar = Calendar(query.Window, query.Zone);
            var windows = items.GroupBy(e => calendar.Floor(e.Time)).OrderBy(g => g.Key).ToList();
            Assert.True(windows.Count == results.Count, $"{windows.Count} windows expected, {results.Count} answered; {context}");
            for (var w = 0; w < windows.Count; w++)
            {
                var start = windows[w].Key;
                var end = calendar.Next(start);
                Assert.True(start == results[w].GetProperty("window_start").GetDateTime().ToUniversalTime(), $"window {w} start {start:O}, got {results[w]}; {context}");
                Assert.True(start == results[w].GetProperty("window_size").GetDateTime().ToUniversalTime(), context);
                Assert.True(end == results[w].GetProperty("window_end").GetDateTime().ToUniversalTime(), $"window {w} end {end:O}, got {results[w]}; {context}");
                var expected = Aggregate(query, [.. windows[w]], start > query.Start ? start : query.Start, end < query.End ? end : query.End, Calendar);
                AssertValue(expected, results[w].GetProperty("value"), $"window {w} ({start:O}); {context}");
            }
        }

        // Recent ranges come from the grains' memory, except those reaching back past it; old ones from the log.
        Assert.True(recent ? sources["memory"] > 100 && sources["log"] > 0 : sources["memory"] == 0, $"sources: memory {sources["memory"]}, log {sources["log"]}");
        latencies.Sort();
        output.WriteLine($"{(recent ? "recent" : "old")}: {latencies.Count} queries over {accepted.Count} events: p50 {latencies[latencies.Count / 2]:F1} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:F1} ms; memory {sources["memory"]}, log {sources["log"]}");
    }

    private static object Aggregate(Query query, List<Sent> items, DateTime periodStart, DateTime periodEnd, Func<string, string, BruteCalendar> calendar)
    {
        if (query.Bucket is null && query.GroupBy is null)
        {
            return Base(query, items, periodStart, periodEnd);
        }

        var buckets = query.Bucket is { } b ? calendar(b, query.Zone) : null;
        return items.GroupBy(e => (buckets?.Floor(e.Time), e.Group(query.GroupBy)))
            .Sum(g => (decimal)Base(query, [.. g], periodStart, periodEnd));
    }

    private static object Base(Query query, List<Sent> items, DateTime periodStart, DateTime periodEnd)
    {
        if (items.Count == 0)
        {
            return 0m;
        }

        var numbers = query.Type is "COUNT" or "LATEST" or "COUNT_UNIQUE" ? [] : items.Select(e => (decimal)e.Value(query.Field!)!).ToList();
        switch (query.Type)
        {
            case "COUNT": return (decimal)items.Count;
            case "SUM": return numbers.Sum();
            case "SUM_WITH_MULTIPLIER": return numbers.Sum() * 2.5m;
            case "AVG": return numbers.Sum() / numbers.Count;
            case "MIN": return numbers.Min();
            case "MAX": return numbers.Max();
            case "COUNT_UNIQUE": return (decimal)items.Select(e => e.Value(query.Field!)!.ToString()).Distinct().Count();
            case "LATEST":
                // Greatest timestamp; ties: the first accepted (earlier in the list) loses.
                return items.Select((e, i) => (e, i)).OrderBy(x => x.e.Time).ThenBy(x => x.i).Last().e.Value(query.Field!)!;
            case "WEIGHTED_SUM":
                decimal span = (periodEnd - periodStart).Ticks;
                return items.Sum(e => (decimal)e.Value(query.Field!)! * (periodEnd - e.Time).Ticks / span);
            default: throw new ArgumentOutOfRangeException(nameof(query));
        }
    }

    private static void AssertValue(object expected, JsonElement actual, string context)
    {
        if (expected is string text)
        {
            Assert.True(actual.ValueKind == JsonValueKind.String && actual.GetString() == text, $"expected \"{text}\", got {actual}; {context}");
            return;
        }

        var number = (decimal)expected;
        Assert.True(actual.ValueKind == JsonValueKind.Number, $"expected {number}, got {actual}; {context}");
        var got = actual.GetDecimal();
        // AVG and WEIGHTED_SUM divide: equal to within decimal's last digits.
        Assert.True(Math.Abs(got - number) <= 1e-18m * Math.Max(1m, Math.Abs(number)), $"expected {number}, got {got}; {context}");
    }

    private DateTime RandomTime(Random random) =>
        SpanStart.AddMilliseconds(Math.Floor(random.NextDouble() * (SpanEnd - SpanStart).TotalMilliseconds));

    private static Sent NewEvent(Random random, int n, DateTime time)
    {
        var customer = Customers[random.Next(Customers.Length)];
        var name = random.NextDouble() < 0.1 ? "ping" : "usage";
        var amount = Math.Round((decimal)(random.NextDouble() * 200 - 50), random.Next(0, 4));
        object state = random.NextDouble() < 0.3 ? $"s{random.Next(50)}" : Math.Round((decimal)(random.NextDouble() * 100), 2);
        object tier = random.Next(4) switch { 0 => 1, 1 => 2, 2 => "2", _ => "3" };
        var properties = new Dictionary<string, object?>
        {
            ["amount"] = random.NextDouble() < 0.3 ? amount.ToString(CultureInfo.InvariantCulture) : amount,
            ["user"] = $"u{random.Next(15)}",
            ["state"] = state,
            ["tier"] = tier,
            ["seat"] = $"seat{random.Next(4)}",
        };
        var json = new Dictionary<string, object?>
        {
            ["event_id"] = $"e{n}",
            ["event_name"] = name,
            ["external_customer_id"] = customer,
            ["timestamp"] = time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["properties"] = name == "usage" ? properties : new Dictionary<string, object?>(),
        };
        return new Sent($"{customer}/e{n}", customer, name, time, properties, json);
    }

    private Query RandomQuery(Random random)
    {
        var type = Types[random.Next(Types.Length)];
        var field = type switch { "COUNT" => null, "LATEST" => "state", "COUNT_UNIQUE" => "user", _ => "amount" };
        var start = (SpanStart - QueryLead).AddSeconds(Math.Floor(random.NextDouble() * (SpanEnd - SpanStart + QueryLead).TotalSeconds));
        var length = random.Next(4) switch
        {
            0 => TimeSpan.FromMinutes(random.Next(1, 600)),
            1 => TimeSpan.FromHours(random.Next(1, 96)),
            2 => TimeSpan.FromDays(random.Next(1, 10)) + TimeSpan.FromMinutes(random.Next(1440)),
            _ => TimeSpan.FromDays(random.Next(10, 40)) / (QueryLead < TimeSpan.FromDays(1) ? 20 : 1),
        };
        var window = random.NextDouble() < 0.15 ? null : Sizes[random.Next(Sizes.Length)];
        if (window == "MINUTE" && length > TimeSpan.FromDays(2))
        {
            window = "HOUR";
        }

        var zone = Zones[random.Next(Zones.Length)];
        string[]? tiers = random.Next(4) switch { 0 => ["2"], 1 => ["1", "3"], _ => null };
        var bucket = type is "MAX" or "SUM" && random.NextDouble() < 0.3 ? (random.Next(2) == 0 ? "HOUR" : "DAY") : null;
        var groupBy = type != "LATEST" && random.NextDouble() < 0.15 ? "seat" : null;
        var body = new Dictionary<string, object?>
        {
            ["event_name"] = "usage",
            ["aggregation_type"] = type,
            ["property_name"] = field,
            ["external_customer_id"] = Customers[random.Next(Customers.Length)],
            ["start_time"] = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["end_time"] = (start + length).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["window_size"] = window,
            ["timezone"] = zone,
            ["multiplier"] = type == "SUM_WITH_MULTIPLIER" ? 2.5m : null,
            ["filters"] = tiers is null ? null : new Dictionary<string, string[]> { ["tier"] = tiers },
            ["bucket_size"] = bucket,
            ["group_by"] = groupBy,
        };
        return new Query((string)body["external_customer_id"]!, type, field, start, start + length, window, zone, tiers, bucket, groupBy, body);
    }

    private sealed record Query(
        string Customer, string Type, string? Field, DateTime Start, DateTime End, string? Window, string Zone, string[]? Tiers, string? Bucket, string? GroupBy,
        Dictionary<string, object?> Body)
    {
        public bool Matches(Sent e) => Tiers is null || Tiers.Any(t => decimal.Parse(t, CultureInfo.InvariantCulture) == Convert.ToDecimal(e.Properties["tier"], CultureInfo.InvariantCulture));
    }

    private sealed record Sent(string Id, string Customer, string Name, DateTime Time, Dictionary<string, object?> Properties, Dictionary<string, object?> Json)
    {
        /// <summary>The property as the aggregation reads it: amounts as decimals (numeric strings too), other values as sent.</summary>
        public object? Value(string field) => Properties[field] switch
        {
            string s when field == "amount" => decimal.Parse(s, CultureInfo.InvariantCulture),
            var v => v,
        };

        public string Group(string? groupBy) => groupBy is null ? "" : (string)Properties[groupBy]!;
    }
}
