using System.Net;
using System.Net.Http.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Usage;

/// <summary>Features whose meters use filters, SUM_WITH_MULTIPLIER, the newer aggregations, buckets and group_by.</summary>
[Collection(ApiCollection.Name)]
public sealed class MeterOptionsTests(ApiFactory api)
{
    [Fact]
    public async Task A_filtered_meter_counts_only_matching_events_and_others_need_not_carry_its_field()
    {
        using var tenant = await api.NewTenantAsync();
        var feature = await CreateAsync(tenant, new
        {
            name = "gpt tokens",
            type = "metered",
            meter = new
            {
                event_name = "llm",
                aggregation = new { type = "SUM_WITH_MULTIPLIER", field = "tokens", multiplier = 0.5m },
                filters = new[] { new { key = "model", values = new[] { "gpt-4o", "o1-mini" } }, new { key = "tier", values = new[] { "2" } } },
            },
        });
        await tenant.CreateFeatureAsync("llm", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("c");

        await (await tenant.PostBulkAsync(
            new { event_id = "a", event_name = "llm", external_customer_id = "c", timestamp = "2025-06-01T10:00:00Z", properties = new { model = "gpt-4o", tier = 2, tokens = 100 } },
            new { event_id = "b", event_name = "llm", external_customer_id = "c", timestamp = "2025-06-01T11:00:00Z", properties = new { model = "o1-mini", tier = "2", tokens = "40" } },
            new { event_id = "c", event_name = "llm", external_customer_id = "c", timestamp = "2025-06-01T12:00:00Z", properties = new { model = "claude", tier = 2 } },
            new { event_id = "d", event_name = "llm", external_customer_id = "c", timestamp = "2025-06-01T13:00:00Z", properties = new { model = "gpt-4o", tier = 3 } })).ReadJsonAsync(HttpStatusCode.Accepted);
        // A matching event must carry the field.
        await (await tenant.PostEventAsync(new { event_name = "llm", external_customer_id = "c", properties = new { model = "gpt-4o", tier = 2 } })).ReadJsonAsync(HttpStatusCode.BadRequest);

        var usage = await tenant.UsageAsync("c");
        Assert.Equal(70m, usage["gpt tokens"].GetProperty("value").GetDecimal());
        Assert.Equal(2, usage["gpt tokens"].GetProperty("event_count").GetInt64());
        Assert.Equal(4m, usage["calls"].GetProperty("value").GetDecimal());

        var byMeter = await (await tenant.Http.PostAsJsonAsync("/v1/events/usage/meter", new
        {
            meter_id = feature.GetProperty("meter_id").GetString(),
            external_customer_id = "c",
            start_time = "2025-06-01T00:00:00Z",
            end_time = "2025-06-02T00:00:00Z",
        })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(70m, byMeter.GetProperty("value").GetDecimal());
        Assert.Equal("SUM_WITH_MULTIPLIER", byMeter.GetProperty("type").GetString());

        var lookup = await (await tenant.Http.GetAsync("/v1/events/lookup?id=c")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["calls"], lookup.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("feature_name").GetString()));

        var listed = await (await tenant.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        var meter = listed.GetProperty("items")[0].GetProperty("meter");
        // A decimal string, as Flexprice's SDKs type it.
        Assert.Equal("0.5", meter.GetProperty("aggregation").GetProperty("multiplier").GetString());
        Assert.Equal("model", meter.GetProperty("filters")[0].GetProperty("key").GetString());
    }

    [Fact]
    public async Task A_bucketed_max_grouped_by_a_property_sums_the_maxima()
    {
        using var tenant = await api.NewTenantAsync();
        await CreateAsync(tenant, new
        {
            name = "seats",
            type = "metered",
            meter = new { event_name = "seats", aggregation = new { type = "MAX", field = "n", bucket_size = "DAY", group_by = "team" } },
        });
        await tenant.CreateFeatureAsync("seats", "AVG", "n", name: "avg");
        await tenant.CreateFeatureAsync("seats", "MIN", "n", name: "min");
        await tenant.CreateCustomerAsync("c");

        await (await tenant.PostBulkAsync(
            new { event_name = "seats", external_customer_id = "c", timestamp = "2025-06-01T10:00:00Z", properties = new { n = 3, team = "a" } },
            new { event_name = "seats", external_customer_id = "c", timestamp = "2025-06-01T11:00:00Z", properties = new { n = 5, team = "a" } },
            new { event_name = "seats", external_customer_id = "c", timestamp = "2025-06-01T12:00:00Z", properties = new { n = 2, team = "b" } },
            new { event_name = "seats", external_customer_id = "c", timestamp = "2025-06-02T12:00:00Z", properties = new { n = 4, team = "a" } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var usage = await tenant.UsageAsync("c");
        Assert.Equal(5m + 2m + 4m, usage["seats"].GetProperty("value").GetDecimal());
        Assert.Equal(3.5m, usage["avg"].GetProperty("value").GetDecimal());
        Assert.Equal(2m, usage["min"].GetProperty("value").GetDecimal());

        var ranged = await (await tenant.Http.GetAsync("/v1/customers/c/usage?start_time=2025-06-02T00:00:00Z")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(4m, ranged.GetProperty("features")[0].GetProperty("value").GetDecimal());
    }

    [Theory]
    [InlineData("""{"type": "SUM_WITH_MULTIPLIER", "field": "v"}""", "multiplier")]
    [InlineData("""{"type": "SUM_WITH_MULTIPLIER", "field": "v", "multiplier": -1}""", "multiplier")]
    [InlineData("""{"type": "AVG", "field": "v", "bucket_size": "DAY"}""", "bucket_size")]
    [InlineData("""{"type": "MAX", "field": "v", "bucket_size": "FORTNIGHT"}""", "bucket_size")]
    [InlineData("""{"type": "MAX", "field": "v", "group_by": "team"}""", "group_by")]
    [InlineData("""{"type": "WEIGHTED_SUM"}""", "field")]
    public async Task Bad_meter_options_are_400(string aggregation, string mentioned)
    {
        using var tenant = await api.NewTenantAsync();

        var response = await tenant.PostJsonAsync("/v1/features", """{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": """ + aggregation + "}}");

        var body = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Contains(mentioned, body.GetProperty("error").GetString());
    }

    private static async Task<System.Text.Json.JsonElement> CreateAsync(TenantClient tenant, object feature) =>
        await (await tenant.Http.PostAsJsonAsync("/v1/features", feature)).ReadJsonAsync(HttpStatusCode.Created);
}
