using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>A tenant sees only its own customers, features and events.</summary>
[Collection(ApiCollection.Name)]
public sealed class TenantIsolationTests(ApiFactory api)
{
    [Fact]
    public async Task Tenant_cannot_see_another_tenants_customers()
    {
        using var a = await api.NewTenantAsync();
        using var b = await api.NewTenantAsync();
        var customer = await a.CreateCustomerAsync("cust_of_a");
        var id = customer.GetProperty("id").GetString()!;

        var list = await (await b.Http.GetAsync("/v1/customers")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(list.GetProperty("items").EnumerateArray());
        Assert.Equal(0, list.GetProperty("pagination").GetProperty("total").GetInt64());
        await (await b.Http.GetAsync($"/v1/customers/{id}")).AssertErrorAsync(HttpStatusCode.NotFound, $"Customer '{id}' not found");
        await (await b.GetUsageAsync("cust_of_a")).AssertErrorAsync(HttpStatusCode.NotFound, "Customer with external_customer_id 'cust_of_a' not found");
        await (await a.Http.GetAsync($"/v1/customers/{id}")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Tenant_cannot_send_events_to_another_tenants_customer()
    {
        using var a = await api.NewTenantAsync();
        using var b = await api.NewTenantAsync();
        await a.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await b.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await a.CreateCustomerAsync("cust_of_a");

        await (await b.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_of_a" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Customer with external_customer_id 'cust_of_a' not found");
        var bulk = await (await b.PostBulkAsync(new { event_name = "api.calls", external_customer_id = "cust_of_a" })).ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("Customer with external_customer_id 'cust_of_a' not found", bulk.GetProperty("error").GetString());

        Assert.Equal(0m, (await a.UsageAsync("cust_of_a"))["calls"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Tenants_features_do_not_match_another_tenants_events()
    {
        using var a = await api.NewTenantAsync();
        using var b = await api.NewTenantAsync();
        await a.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await b.CreateFeatureAsync("storage.usage", "SUM", "gb", name: "storage");
        await a.CreateCustomerAsync("shared_name");
        await b.CreateCustomerAsync("shared_name");

        await (await a.PostEventAsync(new { event_name = "api.calls", external_customer_id = "shared_name" })).ReadJsonAsync(HttpStatusCode.Accepted);
        await (await b.PostEventAsync(new { event_name = "api.calls", external_customer_id = "shared_name" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Event name 'api.calls' not found");
        await (await a.PostEventAsync(new { event_name = "storage.usage", external_customer_id = "shared_name", properties = new { gb = 1 } }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Event name 'storage.usage' not found");
        await (await b.PostEventAsync(new { event_name = "storage.usage", external_customer_id = "shared_name", properties = new { gb = 2.5m } })).ReadJsonAsync(HttpStatusCode.Accepted);

        var usageA = await a.UsageAsync("shared_name");
        var usageB = await b.UsageAsync("shared_name");
        Assert.Equal(["calls"], usageA.Keys);
        Assert.Equal(["storage"], usageB.Keys);
        Assert.Equal(1m, usageA["calls"].GetProperty("value").GetDecimal());
        Assert.Equal(2.5m, usageB["storage"].GetProperty("value").GetDecimal());

        var featuresB = await (await b.Http.GetAsync("/v1/features")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("storage", Assert.Single(featuresB.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Same_external_id_in_two_tenants_is_two_customers()
    {
        using var a = await api.NewTenantAsync();
        using var b = await api.NewTenantAsync();

        var first = await a.CreateCustomerAsync("cust_123");
        var second = await b.CreateCustomerAsync("cust_123");

        Assert.NotEqual(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
    }
}
