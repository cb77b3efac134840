using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>The cURL examples of the spec's "Sending Events" page, verbatim, against the real API.</summary>
[Collection(ApiCollection.Name)]
public sealed class SpecExamplesTests(ApiFactory api)
{
    [Fact]
    public async Task Single_event_example_is_accepted_and_counted_at_once()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust-test-customer");

        var response = await tenant.PostJsonAsync("/v1/events", """
            {
                "event_name": "model.usage",
                "external_customer_id": "cust-test-customer",
                "properties": {
                  "credits": 2
                }
              }
            """);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Event accepted for processing", body.GetProperty("message").GetString());
        Assert.Matches("^event_[0-9A-HJKMNP-TV-Z]{26}$", body.GetProperty("event_id").GetString());
        var usage = await tenant.UsageAsync("cust-test-customer");
        Assert.Equal(2m, usage["credits"].GetProperty("value").GetDecimal());
    }
}
