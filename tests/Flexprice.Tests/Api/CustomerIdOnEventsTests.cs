using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>An event's <c>customer_id</c> (the customer's own id, <c>cust_…</c>) is checked, never ignored.</summary>
[Collection(ApiCollection.Name)]
public sealed class CustomerIdOnEventsTests(ApiFactory api)
{
    [Fact]
    public async Task An_event_naming_its_customers_id_is_accepted_and_one_naming_another_is_refused()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        var a = (await tenant.CreateCustomerAsync("cust_a")).GetProperty("id").GetString()!;
        var b = (await tenant.CreateCustomerAsync("cust_b")).GetProperty("id").GetString()!;

        var right = await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_a", customer_id = a, properties = new { credits = 2 } });
        var wrong = await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_a", customer_id = b, properties = new { credits = 5 } });
        var unknown = await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_a", customer_id = "cust_nope", properties = new { credits = 5 } });
        // In a bulk spanning customers, the wrong id refuses the whole bulk: nothing of it is stored.
        var bulk = await tenant.PostBulkAsync(
            new { event_name = "model.usage", external_customer_id = "cust_b", properties = new { credits = 7 } },
            new { event_name = "model.usage", external_customer_id = "cust_a", customer_id = b, properties = new { credits = 9 } });

        Assert.Equal(HttpStatusCode.Accepted, right.StatusCode);
        await wrong.AssertErrorAsync(HttpStatusCode.BadRequest, $"Invalid event: customer_id '{b}' is not the customer with external_customer_id 'cust_a'");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        var refused = await bulk.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal(1, refused.GetProperty("errors").EnumerateArray().Single().GetProperty("index").GetInt32());
        Assert.False(refused.TryGetProperty("outcomes", out _));
        Assert.Equal(2m, (await tenant.UsageAsync("cust_a"))["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(0m, (await tenant.UsageAsync("cust_b"))["credits"].GetProperty("value").GetDecimal());
    }
}
