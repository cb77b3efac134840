using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Usage;

/// <summary><c>GET /v1/events</c>, <c>GET /v1/events/lookup</c> and <c>GET /v1/events/rejections</c>.</summary>
[Collection(ApiCollection.Name)]
public sealed class EventDebuggerTests(ApiFactory api)
{
    [Fact]
    public async Task Listing_pages_newest_first_without_gaps_or_repeats()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("e", "COUNT");
        await tenant.CreateCustomerAsync("a");
        await tenant.CreateCustomerAsync("b");
        // 23 events, some sharing a timestamp, across two customers reusing ids.
        var events = Enumerable.Range(0, 23).Select(i => (object)new
        {
            event_id = $"id{i % 12}",
            event_name = "e",
            external_customer_id = i < 12 ? "a" : "b",
            timestamp = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i % 7).ToString("O"),
            source = i % 2 == 0 ? "api" : "sdk",
        }).ToArray();
        await (await tenant.PostBulkAsync(events)).ReadJsonAsync(HttpStatusCode.Accepted);

        var seen = new List<(DateTime, string, string)>();
        string? last = null;
        while (true)
        {
            var page = await (await tenant.Http.GetAsync($"/v1/events?page_size=5{(last is null ? "" : $"&iter_last_key={last}")}")).ReadJsonAsync(HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("events").EnumerateArray().Select(e =>
                (e.GetProperty("timestamp").GetDateTime().ToUniversalTime(), e.GetProperty("id").GetString()!, e.GetProperty("external_customer_id").GetString()!)));
            Assert.Equal(23, page.GetProperty("total_count").GetInt64());
            if (!page.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            last = page.GetProperty("iter_last_key").GetString();
        }

        Assert.Equal(23, seen.Count);
        Assert.Equal(23, seen.Distinct().Count());
        Assert.Equal(seen.OrderByDescending(x => x.Item1).ThenByDescending(x => x.Item2, StringComparer.Ordinal).ThenByDescending(x => x.Item3, StringComparer.Ordinal), seen);

        var filtered = await (await tenant.Http.GetAsync("/v1/events?external_customer_id=b&source=api")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.All(filtered.GetProperty("events").EnumerateArray(), e => Assert.Equal("b", e.GetProperty("external_customer_id").GetString()));
        Assert.Equal(6, filtered.GetProperty("events").GetArrayLength());
        Assert.Equal(6, filtered.GetProperty("total_count").GetInt64());

        var newer = await (await tenant.Http.GetAsync($"/v1/events?page_size=3&iter_first_key={last}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, newer.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task Lookup_shows_the_event_and_what_it_fed()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateFeatureAsync("model.usage", "COUNT", name: "calls");
        await tenant.CreateFeatureAsync("other", "COUNT", name: "other");
        await tenant.CreateCustomerAsync("a");
        await tenant.CreateCustomerAsync("b");
        await (await tenant.PostBulkAsync(
            new { event_id = "x", event_name = "model.usage", external_customer_id = "a", properties = new { credits = "2.5" } },
            new { event_id = "x", event_name = "model.usage", external_customer_id = "b", properties = new { credits = 1 } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var body = await (await tenant.Http.GetAsync("/v1/events/lookup?id=x&external_customer_id=a")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("processed", body.GetProperty("status").GetString());
        Assert.Equal("x", body.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal("2.5", body.GetProperty("event").GetProperty("properties").GetProperty("credits").GetString());
        var fed = body.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature_name").GetString()!, f => f.GetProperty("quantity").GetDecimal());
        Assert.Equal(new Dictionary<string, decimal> { ["credits"] = 2.5m, ["calls"] = 1m }, fed);

        await (await tenant.Http.GetAsync("/v1/events/lookup?id=x")).ReadJsonAsync(HttpStatusCode.BadRequest);
        await (await tenant.Http.GetAsync("/v1/events/lookup?id=nope")).AssertErrorAsync(HttpStatusCode.NotFound, "Event 'nope' not found");
    }

    [Fact]
    public async Task Refused_requests_are_listed_with_their_reason_and_first_bytes()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("e", "SUM", "v");
        await tenant.CreateCustomerAsync("a");

        await (await tenant.PostJsonAsync("/v1/events", """{"event_name": "nope", "external_customer_id": "a"}""")).ReadJsonAsync(HttpStatusCode.BadRequest);
        await (await tenant.PostBulkAsync(new { event_name = "e", external_customer_id = "a", properties = new { v = "lots" } })).ReadJsonAsync(HttpStatusCode.BadRequest);
        await (await tenant.PostEventAsync(new { event_name = "e", external_customer_id = "a", properties = new { v = 1 } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var body = await (await tenant.Http.GetAsync("/v1/events/rejections")).ReadJsonAsync(HttpStatusCode.OK);
        var rejections = body.GetProperty("rejections").EnumerateArray().ToList();
        Assert.Equal(2, rejections.Count);
        Assert.Equal("POST /v1/events/bulk", rejections[0].GetProperty("route").GetString());
        Assert.Contains("must be a number", rejections[0].GetProperty("reason").GetString());
        Assert.Equal("Event name 'nope' not found", rejections[1].GetProperty("reason").GetString());
        Assert.Equal(400, rejections[1].GetProperty("status").GetInt32());
        Assert.StartsWith(""" {"event_name": "nope" """.Trim(), rejections[1].GetProperty("request_head").GetString());
    }
}
