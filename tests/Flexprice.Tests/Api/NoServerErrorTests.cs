using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>Hostile or odd input is the client's problem (4xx), never a 500.</summary>
[Collection(ApiCollection.Name)]
public sealed class NoServerErrorTests(ApiFactory api)
{
    [Theory]
    [InlineData("""{"event_name": "\ud800", "external_customer_id": "cust_1"}""")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "\udc00x"}""")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "event_id": "\ud800"}""")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "timestamp": "\ud800"}""")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "source": "\ud800"}""")]
    [InlineData("""{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": {"\ud800": 1}}""")]
    [InlineData("""{"event_name": "user.login", "external_customer_id": "cust_1", "properties": {"user_id": "\ud800"}}""")]
    [InlineData("""{"event_name": "plan.changed", "external_customer_id": "cust_1", "properties": {"tier": "\ud800"}}""")]
    [InlineData("""{"event_name": "model.usage", "external_customer_id": "cust_1", "properties": {"credits": "\ud800"}}""")]
    public async Task Invalid_unicode_escapes_are_a_client_error(string json)
    {
        using var tenant = await NewTenantAsync();

        var response = await tenant.PostJsonAsync("/v1/events", json);
        var bulk = await tenant.PostJsonAsync("/v1/events/bulk", $"{{\"events\": [{json}]}}");

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid JSON format");
        await bulk.AssertErrorAsync(HttpStatusCode.BadRequest, "Invalid JSON format");
    }

    [Fact]
    public async Task Deeply_nested_properties_are_a_client_error()
    {
        using var tenant = await NewTenantAsync();
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);

        var response = await tenant.PostJsonAsync("/v1/events", $$"""{"event_name": "api.calls", "external_customer_id": "cust_1", "properties": {{nested}}}""");

        await response.ReadJsonAsync(HttpStatusCode.BadRequest);
    }

    private async Task<TenantClient> NewTenantAsync()
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateFeatureAsync("user.login", "COUNT_UNIQUE", "user_id", name: "users");
        await tenant.CreateFeatureAsync("plan.changed", "LATEST", "tier", name: "tier");
        await tenant.CreateCustomerAsync("cust_1");
        return tenant;
    }
}
