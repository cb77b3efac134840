using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary><c>GET /v1/customers/{external_customer_id}/usage</c>: every feature, including every event acknowledged before the query.</summary>
[Collection(ApiCollection.Name)]
public sealed class UsageTests(ApiFactory api)
{
    [Fact]
    public async Task Usage_lists_every_feature_with_its_value_and_event_count()
    {
        using var tenant = await api.NewTenantAsync();
        var calls = await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        var storage = await tenant.CreateFeatureAsync("storage.usage", "SUM", "gb", name: "storage");
        await tenant.CreateCustomerAsync("cust_1");
        await (await tenant.PostEventAsync(new { event_name = "storage.usage", external_customer_id = "cust_1", properties = new { gb = 1.25m } })).ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostEventAsync(new { event_name = "storage.usage", external_customer_id = "cust_1", properties = new { gb = 2 } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var body = await (await tenant.GetUsageAsync("cust_1")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("cust_1", body.GetProperty("external_customer_id").GetString());
        var features = body.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(2, features.Count);
        Assert.Equal(calls.GetProperty("id").GetString(), features[0].GetProperty("feature_id").GetString());
        Assert.Equal("calls", features[0].GetProperty("feature_name").GetString());
        Assert.Equal("api.calls", features[0].GetProperty("event_name").GetString());
        Assert.Equal("COUNT", features[0].GetProperty("aggregation_type").GetString());
        Assert.Equal(0m, features[0].GetProperty("value").GetDecimal());
        Assert.Equal(0, features[0].GetProperty("event_count").GetInt64());
        Assert.Equal(storage.GetProperty("id").GetString(), features[1].GetProperty("feature_id").GetString());
        Assert.Equal("storage", features[1].GetProperty("feature_name").GetString());
        Assert.Equal("storage.usage", features[1].GetProperty("event_name").GetString());
        Assert.Equal("SUM", features[1].GetProperty("aggregation_type").GetString());
        Assert.Equal(3.25m, features[1].GetProperty("value").GetDecimal());
        Assert.Equal(2, features[1].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Usage_of_a_new_customer_is_zero_for_every_aggregation()
    {
        using var tenant = await api.NewTenantAsync();
        foreach (var aggregation in new[] { "COUNT", "SUM", "MAX", "LATEST", "COUNT_UNIQUE" })
        {
            await tenant.CreateFeatureAsync("e", aggregation, "v", name: aggregation);
        }

        await tenant.CreateCustomerAsync("cust_1");

        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(5, usage.Count);
        Assert.All(usage.Values, f => Assert.Equal(0m, f.GetProperty("value").GetDecimal()));
        Assert.All(usage.Values, f => Assert.Equal(0, f.GetProperty("event_count").GetInt64()));
    }

    [Fact]
    public async Task Usage_of_an_unknown_customer_is_404()
    {
        using var tenant = await api.NewTenantAsync();

        await (await tenant.GetUsageAsync("nobody")).AssertErrorAsync(HttpStatusCode.NotFound, "Customer with external_customer_id 'nobody' not found");
    }

    [Fact]
    public async Task Usage_read_right_after_each_202_includes_that_event()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust_1");
        await tenant.CreateCustomerAsync("cust_2");
        var expected = new Dictionary<string, decimal> { ["cust_1"] = 0, ["cust_2"] = 0 };

        for (var i = 1; i <= 20; i++)
        {
            var customer = i % 3 == 0 ? "cust_2" : "cust_1";
            if (i % 4 == 0)
            {
                await (await tenant.PostBulkAsync(
                    new { event_name = "model.usage", external_customer_id = "cust_1", properties = new { credits = i } },
                    new { event_name = "model.usage", external_customer_id = "cust_2", properties = new { credits = i } })).ReadJsonAsync(HttpStatusCode.Accepted);
                expected["cust_1"] += i;
                expected["cust_2"] += i;
            }
            else
            {
                await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = customer, properties = new { credits = i } }))
                    .ReadJsonAsync(HttpStatusCode.Accepted);
                expected[customer] += i;
            }

            foreach (var (name, credits) in expected)
            {
                Assert.Equal(credits, (await tenant.UsageAsync(name))["credits"].GetProperty("value").GetDecimal());
            }
        }
    }

    [Theory]
    [InlineData("org:42")]
    [InlineData("user@example.com")]
    [InlineData("José Müller")]
    [InlineData("a+b=c&d?e#f")]
    [InlineData("100%")]
    public async Task External_ids_with_reserved_url_characters_work_end_to_end(string externalId)
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync(externalId);

        await (await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = externalId })).ReadJsonAsync(HttpStatusCode.Accepted);

        var body = await (await tenant.GetUsageAsync(externalId)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(externalId, body.GetProperty("external_customer_id").GetString());
        Assert.Equal(1m, body.GetProperty("features")[0].GetProperty("value").GetDecimal());
    }
}
