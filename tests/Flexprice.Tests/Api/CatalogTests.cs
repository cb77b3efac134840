using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>Customers (<c>/v1/customers</c>) and metered features (<c>/v1/features</c>).</summary>
[Collection(ApiCollection.Name)]
public sealed class CatalogTests(ApiFactory api)
{
    [Fact]
    public async Task Create_customer_answers_201_with_its_id_and_fields()
    {
        using var tenant = await api.NewTenantAsync();

        var response = await tenant.Http.PostAsJsonAsync("/v1/customers", new { external_id = "cust_123", name = "Acme", email = "billing@acme.test", metadata = new { plan = "pro" } });

        var body = await response.ReadJsonAsync(HttpStatusCode.Created);
        var id = body.GetProperty("id").GetString()!;
        Assert.Matches($"^cust_{SpecExamplesTests.UlidPattern}$", id);
        Assert.Equal($"/v1/customers/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("cust_123", body.GetProperty("external_id").GetString());
        Assert.Equal("Acme", body.GetProperty("name").GetString());
        Assert.Equal("billing@acme.test", body.GetProperty("email").GetString());
        Assert.Equal("pro", body.GetProperty("metadata").GetProperty("plan").GetString());
        Assert.True(body.TryGetProperty("created_at", out _));

        var fetched = await (await tenant.Http.GetAsync($"/v1/customers/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(body.GetRawText(), fetched.GetRawText());
    }

    [Fact]
    public async Task Customer_name_defaults_to_its_external_id()
    {
        using var tenant = await api.NewTenantAsync();

        var body = await (await tenant.Http.PostAsJsonAsync("/v1/customers", new { external_id = "cust_plain" })).ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal("cust_plain", body.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Duplicate_external_id_is_a_conflict()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateCustomerAsync("cust_123");

        var response = await tenant.Http.PostAsJsonAsync("/v1/customers", new { external_id = "cust_123", name = "again" });

        await response.AssertErrorAsync(HttpStatusCode.Conflict, "Customer with external_id 'cust_123' already exists");
        var list = await (await tenant.Http.GetAsync("/v1/customers")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("pagination").GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData("""{"name": "no id"}""")]
    [InlineData("""{"external_id": null}""")]
    [InlineData("""{"external_id": ""}""")]
    [InlineData("""{"external_id": "  "}""")]
    public async Task Customer_without_external_id_is_refused(string json)
    {
        using var tenant = await api.NewTenantAsync();

        await (await tenant.PostJsonAsync("/v1/customers", json)).AssertErrorAsync(HttpStatusCode.BadRequest, "Missing required field: external_id");
    }

    [Theory]
    [InlineData("""{"external_id": 42}""")]
    [InlineData("""{"external_id": "c", "metadata": [1]}""")]
    [InlineData("not json")]
    [InlineData("[]")]
    public async Task Customer_body_of_the_wrong_shape_is_refused(string json)
    {
        using var tenant = await api.NewTenantAsync();

        await (await tenant.PostJsonAsync("/v1/customers", json)).ReadJsonAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Customers_are_listed_newest_first_with_pagination()
    {
        using var tenant = await api.NewTenantAsync();
        string[] created = ["c1", "c2", "c3", "c4", "c5"];
        foreach (var externalId in created)
        {
            await tenant.CreateCustomerAsync(externalId);
        }

        var all = await (await tenant.Http.GetAsync("/v1/customers")).ReadJsonAsync(HttpStatusCode.OK);
        var page = await (await tenant.Http.GetAsync("/v1/customers?limit=2&offset=1")).ReadJsonAsync(HttpStatusCode.OK);
        var beyond = await (await tenant.Http.GetAsync("/v1/customers?limit=2&offset=10")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(created.Reverse(), all.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("external_id").GetString()));
        Assert.Equal(5, all.GetProperty("pagination").GetProperty("total").GetInt64());
        Assert.Equal(0, all.GetProperty("pagination").GetProperty("offset").GetInt32());
        Assert.True(all.GetProperty("pagination").GetProperty("limit").GetInt32() >= 5);
        Assert.Equal(["c4", "c3"], page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("external_id").GetString()));
        Assert.Equal(5, page.GetProperty("pagination").GetProperty("total").GetInt64());
        Assert.Equal(2, page.GetProperty("pagination").GetProperty("limit").GetInt32());
        Assert.Equal(1, page.GetProperty("pagination").GetProperty("offset").GetInt32());
        Assert.Empty(beyond.GetProperty("items").EnumerateArray());
        Assert.Equal(5, beyond.GetProperty("pagination").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Unknown_customer_id_is_404()
    {
        using var tenant = await api.NewTenantAsync();

        await (await tenant.Http.GetAsync("/v1/customers/cust_01K389J4M1F1NZG6XP0AMD6J52"))
            .AssertErrorAsync(HttpStatusCode.NotFound, "Customer 'cust_01K389J4M1F1NZG6XP0AMD6J52' not found");
    }

    [Fact]
    public async Task Create_feature_answers_201_with_its_meter()
    {
        using var tenant = await api.NewTenantAsync();

        var response = await tenant.Http.PostAsJsonAsync("/v1/features", new
        {
            name = "Credits",
            type = "metered",
            meter = new { event_name = "model.usage", aggregation = new { type = "SUM", field = "credits" }, reset_usage = "BILLING_PERIOD" },
        });

        var body = await response.ReadJsonAsync(HttpStatusCode.Created);
        Assert.Matches($"^feat_{SpecExamplesTests.UlidPattern}$", body.GetProperty("id").GetString());
        Assert.Matches($"^meter_{SpecExamplesTests.UlidPattern}$", body.GetProperty("meter_id").GetString());
        Assert.Equal("Credits", body.GetProperty("name").GetString());
        Assert.Equal("metered", body.GetProperty("type").GetString());
        var meter = body.GetProperty("meter");
        Assert.Equal(body.GetProperty("meter_id").GetString(), meter.GetProperty("id").GetString());
        Assert.Equal("model.usage", meter.GetProperty("event_name").GetString());
        Assert.Equal("SUM", meter.GetProperty("aggregation").GetProperty("type").GetString());
        Assert.Equal("credits", meter.GetProperty("aggregation").GetProperty("field").GetString());
        Assert.Equal("BILLING_PERIOD", meter.GetProperty("reset_usage").GetString());

        var list = await (await tenant.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(body.GetRawText(), Assert.Single(list.GetProperty("items").EnumerateArray()).GetRawText());
        Assert.Equal(1, list.GetProperty("pagination").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Features_are_listed_oldest_first()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("a.event", "COUNT", name: "first");
        await tenant.CreateFeatureAsync("b.event", "MAX", "v", name: "second");
        await tenant.CreateFeatureAsync("c.event", "count_unique", "v", name: "third");

        var list = await (await tenant.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);

        var items = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["first", "second", "third"], items.Select(f => f.GetProperty("name").GetString()));
        Assert.Equal("COUNT_UNIQUE", items[2].GetProperty("meter").GetProperty("aggregation").GetProperty("type").GetString());
    }

    public static TheoryData<string, string> BadFeatures => new()
    {
        { """{"type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}}}""", "Missing required field: name" },
        { """{"name": " ", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}}}""", "Missing required field: name" },
        { """{"name": "f", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}}}""", "Missing required field: type" },
        { """{"name": "f", "type": "boolean", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}}}""", "boolean" },
        { """{"name": "f", "type": "metered"}""", "Missing required field: meter" },
        { """{"name": "f", "type": "metered", "meter": {"aggregation": {"type": "COUNT"}}}""", "Missing required field: meter.event_name" },
        { """{"name": "f", "type": "metered", "meter": {"event_name": "e"}}""", "Missing required field: meter.aggregation.type" },
        { """{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "MEDIAN", "field": "v"}}}""", "MEDIAN" },
        { """{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "SUM"}}}""", "Missing required field: meter.aggregation.field" },
        { """{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "MAX", "field": " "}}}""", "Missing required field: meter.aggregation.field" },
        { """{"name": "f", "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}, "reset_usage": "HOURLY"}}""", "HOURLY" },
        { """{"name": 5, "type": "metered", "meter": {"event_name": "e", "aggregation": {"type": "COUNT"}}}""", "name" },
        { "{\"name\": ", "Invalid JSON format" },
    };

    [Theory]
    [MemberData(nameof(BadFeatures))]
    public async Task Invalid_feature_is_refused_and_not_created(string json, string error)
    {
        using var tenant = await api.NewTenantAsync();

        var body = await (await tenant.PostJsonAsync("/v1/features", json)).ReadJsonAsync(HttpStatusCode.BadRequest);

        Assert.Contains(error, body.GetProperty("error").GetString());
        var list = await (await tenant.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(list.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Count_feature_ignores_a_given_field()
    {
        using var tenant = await api.NewTenantAsync();

        var body = await tenant.CreateFeatureAsync("api.calls", "COUNT", "ignored", name: "calls");

        var aggregation = body.GetProperty("meter").GetProperty("aggregation");
        Assert.True(!aggregation.TryGetProperty("field", out var field) || field.ValueKind == JsonValueKind.Null);
    }
}
