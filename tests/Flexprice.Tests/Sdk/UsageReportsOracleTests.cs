using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Sdk;

/// <summary>
/// Flexprice's usage reports, the usage summary (<c>GET /v1/customers/usage</c>) and analytics (<c>POST /v1/events/analytics</c>),
/// answer the same numbers as the usage query (<c>POST /v1/events/usage/meter</c>, itself held to a recomputation from the raw
/// events by <c>UsageQueryOracleTests</c>) for every feature, customer, range, window and zone; and the SUM feature's figure
/// equals the test's own sum of the events it sent.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class UsageReportsOracleTests(ApiFactory api)
{
    private static readonly string[] Customers = ["r1", "r2", "r3"];
    private static readonly string[] Zones = ["UTC", "Europe/Berlin", "America/New_York"];
    private static readonly string?[] Windows = [null, "HOUR", "6HOUR", "DAY", "WEEK", "MONTH"];

    [Fact]
    public async Task Summary_and_analytics_equal_the_usage_query_and_the_raw_events()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        using var tenant = await api.NewTenantAsync();
        var features = new List<JsonElement>
        {
            await CreateFeatureAsync(tenant, "amount", new { type = "SUM", field = "amount" }),
            await CreateFeatureAsync(tenant, "calls", new { type = "COUNT" }),
            await CreateFeatureAsync(tenant, "peak", new { type = "MAX", field = "amount", bucket_size = "HOUR" }),
            await CreateFeatureAsync(tenant, "users", new { type = "COUNT_UNIQUE", field = "user" }),
            await CreateFeatureAsync(tenant, "state", new { type = "LATEST", field = "state" }),
            await CreateFeatureAsync(tenant, "tier-2", new { type = "SUM", field = "amount" }, filters: new[] { new { key = "tier", values = new[] { "2" } } }),
            await CreateFeatureAsync(tenant, "lifetime", new { type = "SUM", field = "amount" }, reset: "NEVER"),
        };
        var ids = new Dictionary<string, string>();
        foreach (var customer in Customers)
        {
            ids[customer] = (await tenant.CreateCustomerAsync(customer)).GetProperty("id").GetString()!;
        }

        // Events over the last 45 days (so most runs span two calendar months), sent in bulks.
        var now = DateTime.UtcNow;
        now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var events = Enumerable.Range(0, 900).Select(n => NewEvent(random, n, now.AddSeconds(-random.Next(60, 45 * 86400)))).ToList();
        foreach (var chunk in events.Chunk(300))
        {
            await (await tenant.PostBulkAsync([.. chunk.Select(e => e.Json)])).ReadJsonAsync(HttpStatusCode.Accepted);
        }

        for (var q = 0; q < 12; q++)
        {
            var customer = Customers[random.Next(Customers.Length)];
            var start = now.AddMinutes(-random.Next(10, 50 * 1440));
            var end = start.AddMinutes(random.Next(30, 30 * 1440));
            var window = Windows[random.Next(Windows.Length)];
            var zone = Zones[random.Next(Zones.Length)];
            string[]? tiers = random.Next(3) == 0 ? ["1", "3"] : null;
            var context = $"seed {seed}, query {q}: {customer} [{start:O}, {end:O}) {window} {zone} tiers {string.Join(",", tiers ?? [])}";

            var analytics = await (await tenant.Http.PostAsJsonAsync("/v1/events/analytics", new Dictionary<string, object?>
            {
                // Flexprice's own customer id half of the time: the answer is the same.
                [q % 2 == 0 ? "external_customer_id" : "customer_id"] = q % 2 == 0 ? customer : ids[customer],
                ["start_time"] = Iso(start),
                ["end_time"] = Iso(end),
                ["window_size"] = window,
                ["timezone"] = zone,
                ["property_filters"] = tiers is null ? null : new Dictionary<string, string[]> { ["tier"] = tiers },
                ["group_by"] = new[] { "feature_id" },
            })).ReadJsonAsync(HttpStatusCode.OK);
            var items = analytics.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(features.Count, items.Count);
            Assert.Equal("0", analytics.GetProperty("total_cost").GetString());

            var summary = await (await tenant.Http.GetAsync(
                $"/v1/customers/usage?customer_lookup_key={customer}&start_time={Uri.EscapeDataString(Iso(start))}&end_time={Uri.EscapeDataString(Iso(end))}"))
                .ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(ids[customer], summary.GetProperty("customer_id").GetString());
            var summarised = summary.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature").GetProperty("id").GetString()!);

            foreach (var feature in features)
            {
                var featureId = feature.GetProperty("id").GetString()!;
                var meterId = feature.GetProperty("meter_id").GetString()!;
                var item = items.Single(i => i.GetProperty("feature_id").GetString() == featureId);
                var usage = await UsageByMeterAsync(tenant, meterId, customer, start, end, window, zone, tiers);
                AssertSame(usage.GetProperty("value"), item.GetProperty("total_usage"), $"analytics total of {featureId}; {context}");
                Assert.Equal(usage.GetProperty("event_count").GetInt64(), item.GetProperty("event_count").GetInt64());
                var results = usage.GetProperty("results").EnumerateArray().ToList();
                var points = item.GetProperty("points").EnumerateArray().ToList();
                Assert.True(results.Count == points.Count, $"{results.Count} windows, {points.Count} points; {context}");
                for (var w = 0; w < results.Count; w++)
                {
                    Assert.Equal(results[w].GetProperty("window_start").GetDateTime(), points[w].GetProperty("timestamp").GetDateTime());
                    AssertSame(results[w].GetProperty("value"), points[w].GetProperty("usage"), $"point {w} of {featureId}; {context}");
                    Assert.Equal(results[w].GetProperty("event_count").GetInt64(), points[w].GetProperty("event_count").GetInt64());
                }

                // The summary has no property filters or windows; a meter that never resets counts from the beginning.
                var lifetime = feature.GetProperty("meter").GetProperty("reset_usage").GetString() == "NEVER";
                var whole = await UsageByMeterAsync(tenant, meterId, customer, lifetime ? DateTime.UnixEpoch : start, end, null, "UTC", null);
                AssertSame(whole.GetProperty("value"), summarised[featureId].GetProperty("current_usage"), $"summary of {featureId}; {context}");
            }

            // The oracle: the SUM feature is the sum of the amounts this test sent.
            var sent = events.Where(e => e.Customer == customer && e.Time >= start && e.Time < end && (tiers is null || tiers.Contains(e.Tier))).Sum(e => e.Amount);
            var sum = items.Single(i => i.GetProperty("feature_id").GetString() == features[0].GetProperty("id").GetString());
            Assert.True(sent == decimal.Parse(sum.GetProperty("total_usage").GetString()!, CultureInfo.InvariantCulture), $"sent {sent}, analytics {sum}; {context}");
        }

        // Without a range: the current calendar month in UTC, and the same numbers as the usage query over it.
        var before = DateTime.UtcNow;
        var monthly = await (await tenant.Http.GetAsync($"/v1/customers/usage?customer_id={ids["r1"]}")).ReadJsonAsync(HttpStatusCode.OK);
        var after = DateTime.UtcNow;
        var period = monthly.GetProperty("period");
        var periodStart = period.GetProperty("start_time").GetDateTime().ToUniversalTime();
        Assert.Contains(periodStart, new[] { MonthStart(before), MonthStart(after) });
        Assert.Equal(periodStart.AddMonths(1), period.GetProperty("end_time").GetDateTime().ToUniversalTime());
        Assert.Equal("MONTHLY", period.GetProperty("period").GetString());
        var amount = monthly.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("feature").GetProperty("id").GetString() == features[0].GetProperty("id").GetString());
        Assert.True(amount.GetProperty("is_unlimited").GetBoolean());
        Assert.Equal(JsonValueKind.Null, amount.GetProperty("total_limit").ValueKind);
        var expected = events.Where(e => e.Customer == "r1" && e.Time >= periodStart && e.Time < periodStart.AddMonths(1)).Sum(e => e.Amount);
        Assert.Equal(expected, decimal.Parse(amount.GetProperty("current_usage").GetString()!, CultureInfo.InvariantCulture));
    }

    private static DateTime MonthStart(DateTime utc) => new(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc);

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static async Task<JsonElement> UsageByMeterAsync(
        TenantClient tenant, string meterId, string customer, DateTime start, DateTime end, string? window, string zone, string[]? tiers) =>
        await (await tenant.Http.PostAsJsonAsync("/v1/events/usage/meter", new Dictionary<string, object?>
        {
            ["meter_id"] = meterId,
            ["external_customer_id"] = customer,
            ["start_time"] = Iso(start),
            ["end_time"] = Iso(end),
            ["window_size"] = window,
            ["timezone"] = zone,
            ["filters"] = tiers is null ? null : new Dictionary<string, string[]> { ["tier"] = tiers },
        })).ReadJsonAsync(HttpStatusCode.OK);

    /// <summary>A usage query's value (a number, or text for a text LATEST) and a report's decimal string say the same.</summary>
    private static void AssertSame(JsonElement usage, JsonElement report, string context)
    {
        Assert.True(report.ValueKind == JsonValueKind.String, $"a string expected, got {report}; {context}");
        var text = report.GetString()!;
        var same = usage.ValueKind == JsonValueKind.Number
            ? decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == usage.GetDecimal()
            : text == usage.GetString();
        Assert.True(same, $"usage {usage}, report \"{text}\"; {context}");
    }

    private static async Task<JsonElement> CreateFeatureAsync(TenantClient tenant, string name, object aggregation, object? filters = null, string reset = "BILLING_PERIOD")
    {
        var response = await tenant.Http.PostAsJsonAsync("/v1/features", new
        {
            name,
            type = "metered",
            lookup_key = name,
            meter = new { event_name = "usage", aggregation, reset_usage = reset, filters },
        });
        return await response.ReadJsonAsync(HttpStatusCode.Created);
    }

    private static Sent NewEvent(Random random, int n, DateTime time)
    {
        var customer = Customers[random.Next(Customers.Length)];
        var amount = Math.Round((decimal)(random.NextDouble() * 100), random.Next(0, 3));
        var tier = random.Next(1, 4).ToString(CultureInfo.InvariantCulture);
        object state = random.Next(3) == 0 ? $"s{random.Next(9)}" : random.Next(100);
        var json = new Dictionary<string, object?>
        {
            ["event_id"] = $"r{n}",
            ["event_name"] = "usage",
            ["external_customer_id"] = customer,
            ["timestamp"] = time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["properties"] = new Dictionary<string, object?> { ["amount"] = amount, ["user"] = $"u{random.Next(12)}", ["state"] = state, ["tier"] = tier },
        };
        return new Sent(customer, time, amount, tier, json);
    }

    private sealed record Sent(string Customer, DateTime Time, decimal Amount, string Tier, Dictionary<string, object?> Json);
}
