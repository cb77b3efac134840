using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Usage;

/// <summary>The usage routes' contract: defaults, read-your-writes, the meter route, ranges on the customer route, and the 400s and 404s.</summary>
[Collection(ApiCollection.Name)]
public sealed class UsageRoutesTests(ApiFactory api)
{
    [Fact]
    public async Task An_event_is_in_the_default_range_right_after_its_202()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits");
        await tenant.CreateCustomerAsync("cust_1");

        for (var i = 1; i <= 5; i++)
        {
            await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", properties = new { credits = i } })).ReadJsonAsync(HttpStatusCode.Accepted);
            var body = await Query(tenant, new { event_name = "model.usage", aggregation_type = "SUM", property_name = "credits", external_customer_id = "cust_1", window_size = "DAY" });

            Assert.Equal(i * (i + 1) / 2m, body.GetProperty("value").GetDecimal());
            Assert.Equal("model.usage", body.GetProperty("event_name").GetString());
            Assert.Equal("SUM", body.GetProperty("type").GetString());
            Assert.Single(body.GetProperty("results").EnumerateArray());
        }
    }

    [Fact]
    public async Task The_meter_route_uses_the_feature_meter_and_the_request_filters()
    {
        using var tenant = await api.NewTenantAsync();
        var feature = await tenant.CreateFeatureAsync("api.calls", "SUM", "n");
        await tenant.CreateCustomerAsync("cust_1");
        var t = new DateTime(2025, 6, 1, 10, 0, 0, DateTimeKind.Utc);
        await (await tenant.PostBulkAsync(
            new { event_name = "api.calls", external_customer_id = "cust_1", timestamp = "2025-06-01T10:00:00Z", properties = new { n = 2, region = "eu" } },
            new { event_name = "api.calls", external_customer_id = "cust_1", timestamp = "2025-06-01T11:30:00Z", properties = new { n = "3", region = "us" } },
            new { event_name = "api.calls", external_customer_id = "cust_1", timestamp = "2025-06-01T12:00:00Z", properties = new { n = 5, region = "eu" } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var range = new { start_time = "2025-06-01T00:00:00Z", end_time = "2025-06-02T00:00:00Z" };
        var all = await Query(tenant, new { meter_id = feature.GetProperty("meter_id").GetString(), external_customer_id = "cust_1", range.start_time, range.end_time, window_size = "HOUR" }, "/v1/events/usage/meter");
        var eu = await Query(tenant, new { feature_id = feature.GetProperty("id").GetString(), external_customer_id = "cust_1", range.start_time, range.end_time, filters = new[] { new { key = "region", values = new[] { "eu" } } } }, "/v1/events/usage/meter");

        Assert.Equal(10m, all.GetProperty("value").GetDecimal());
        Assert.Equal([2m, 3m, 5m], all.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("value").GetDecimal()));
        Assert.Equal(t.AddHours(1), all.GetProperty("results")[1].GetProperty("window_start").GetDateTime().ToUniversalTime());
        Assert.Equal(7m, eu.GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task The_customer_route_takes_a_range()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("e", "SUM", "v", name: "sum");
        await tenant.CreateFeatureAsync("e", "COUNT", name: "count");
        await tenant.CreateCustomerAsync("cust_1");
        await (await tenant.PostBulkAsync(
            new { event_name = "e", external_customer_id = "cust_1", timestamp = "2025-06-01T10:00:00Z", properties = new { v = 2 } },
            new { event_name = "e", external_customer_id = "cust_1", timestamp = "2025-06-02T10:00:00Z", properties = new { v = 3 } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var body = await (await tenant.Http.GetAsync("/v1/customers/cust_1/usage?start_time=2025-06-02T00:00:00Z&end_time=2025-06-03T00:00:00Z")).ReadJsonAsync(HttpStatusCode.OK);
        var features = body.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature_name").GetString()!);
        var allTime = await tenant.UsageAsync("cust_1");

        Assert.Equal(3m, features["sum"].GetProperty("value").GetDecimal());
        Assert.Equal(1m, features["count"].GetProperty("value").GetDecimal());
        Assert.Equal(5m, allTime["sum"].GetProperty("value").GetDecimal());
    }

    [Theory]
    [InlineData("""{"aggregation_type": "COUNT"}""", "Missing required field: event_name")]
    [InlineData("""{"event_name": "e", "start_time": "2025-06-02T00:00:00Z", "end_time": "2025-06-02T00:00:00Z"}""", "Invalid range: end_time must be after start_time")]
    [InlineData("""{"event_name": "e", "start_time": "yesterday"}""", "Invalid start_time 'yesterday': use RFC 3339, e.g. 2025-08-22T07:05:49Z")]
    [InlineData("""{"event_name": "e", "window_size": "FORTNIGHT"}""", "Invalid window_size 'FORTNIGHT': use one of MINUTE, 15MIN, 30MIN, HOUR, 3HOUR, 6HOUR, 12HOUR, DAY, WEEK, MONTH")]
    [InlineData("""{"event_name": "e", "timezone": "Mars/Olympus"}""", "Invalid timezone 'Mars/Olympus': use an IANA time zone such as Europe/Berlin")]
    [InlineData("""{"event_name": "e", "aggregation_type": "SUM"}""", "Missing required field: property_name (SUM aggregates a property)")]
    [InlineData("""{"event_name": "e", "aggregation_type": "SUM_WITH_MULTIPLIER", "property_name": "v"}""", "Missing required field: multiplier (SUM_WITH_MULTIPLIER)")]
    [InlineData("""{"event_name": "e", "aggregation_type": "SUM_WITH_MULTIPLIER", "property_name": "v", "multiplier": 0}""", "Invalid multiplier: a number greater than 0")]
    [InlineData("""{"event_name": "e", "aggregation_type": "AVG", "property_name": "v", "bucket_size": "HOUR"}""", "Invalid bucket_size: only MAX and SUM aggregations take one")]
    [InlineData("""{"event_name": "e", "aggregation_type": "MEDIAN"}""", "Invalid aggregation_type 'MEDIAN': use one of COUNT, SUM, MAX, LATEST, COUNT_UNIQUE, AVG, MIN, SUM_WITH_MULTIPLIER, WEIGHTED_SUM")]
    public async Task Bad_queries_are_400(string json, string message)
    {
        using var tenant = await api.NewTenantAsync();

        await (await tenant.PostJsonAsync("/v1/events/usage", json)).AssertErrorAsync(HttpStatusCode.BadRequest, message);
    }

    [Fact]
    public async Task Unknown_meters_and_customers_are_404()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("e", "COUNT");

        await (await tenant.PostJsonAsync("/v1/events/usage/meter", """{"meter_id": "meter_nope"}""")).AssertErrorAsync(HttpStatusCode.NotFound, "Meter 'meter_nope' not found");
        await (await tenant.PostJsonAsync("/v1/events/usage", """{"event_name": "e", "external_customer_id": "nobody"}"""))
            .AssertErrorAsync(HttpStatusCode.NotFound, "Customer with external_customer_id 'nobody' not found");
    }

    private static async Task<JsonElement> Query(TenantClient tenant, object body, string path = "/v1/events/usage") =>
        await (await tenant.Http.PostAsJsonAsync(path, body)).ReadJsonAsync(HttpStatusCode.OK);
}
