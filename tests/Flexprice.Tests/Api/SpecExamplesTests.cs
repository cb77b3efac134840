using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>The examples of the spec's "Sending Events" page, verbatim, against the real API.</summary>
[Collection(ApiCollection.Name)]
public sealed class SpecExamplesTests(ApiFactory api)
{
    public const string UlidPattern = "[0-9A-HJKMNP-TV-Z]{26}";

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
        Assert.Matches($"^event_{UlidPattern}$", body.GetProperty("event_id").GetString());
        var usage = await tenant.UsageAsync("cust-test-customer");
        Assert.Equal(2m, usage["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Basic_count_event_needs_only_the_required_fields()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_123");

        var response = await tenant.PostJsonAsync("/v1/events", """
            {
              "event_name": "api.calls",
              "external_customer_id": "cust_123"
            }
            """);

        await response.ReadJsonAsync(HttpStatusCode.Accepted);
        var usage = await tenant.UsageAsync("cust_123");
        Assert.Equal(1m, usage["calls"].GetProperty("value").GetDecimal());
        Assert.Equal(1, usage["calls"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Bulk_example_feeds_both_customers_and_answers_ids_in_order()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust-test-customer");
        await tenant.CreateCustomerAsync("cust-another-customer");

        var response = await tenant.PostJsonAsync("/v1/events/bulk", """
            {
                "events": [
                  {
                    "event_name": "model.usage",
                    "external_customer_id": "cust-test-customer",
                    "properties": { "credits": 2 }
                  },
                  {
                    "event_name": "model.usage",
                    "external_customer_id": "cust-another-customer",
                    "properties": { "credits": 5 }
                  }
                ]
              }
            """);

        // Flexprice's own answer, exactly: the SDKs read it as a map of strings.
        await response.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("""{"message":"Events accepted for processing"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(2m, (await tenant.UsageAsync("cust-test-customer"))["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(5m, (await tenant.UsageAsync("cust-another-customer"))["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Complete_event_example_echoes_its_event_id_and_is_counted_once()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust_123");
        const string example = """
            {
              "event_name": "model.usage",
              "external_customer_id": "cust_123",
              "properties": {
                "credits": 2,
                "model": "gpt-4",
                "region": "us-east-1"
              },
              "event_id": "evt_abc123",
              "timestamp": "2025-08-22T07:05:49.441Z",
              "source": "api"
            }
            """;

        var first = await (await tenant.PostJsonAsync("/v1/events", example)).ReadJsonAsync(HttpStatusCode.Accepted);
        var retry = await (await tenant.PostJsonAsync("/v1/events", example)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal("evt_abc123", first.GetProperty("event_id").GetString());
        Assert.Equal("Event accepted for processing", first.GetProperty("message").GetString());
        Assert.Equal("evt_abc123", retry.GetProperty("event_id").GetString());
        var usage = await tenant.UsageAsync("cust_123");
        Assert.Equal(2m, usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(1, usage["credits"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Api_usage_tracking_pattern_counts_calls()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "api calls");
        await tenant.CreateCustomerAsync("cust_123");
        const string example = """
            {
              "event_name": "api.calls",
              "external_customer_id": "cust_123",
              "properties": {
                "endpoint": "/v1/chat",
                "method": "POST",
                "response_time": 150
              },
              "source": "api"
            }
            """;

        for (var i = 0; i < 3; i++)
        {
            await (await tenant.PostJsonAsync("/v1/events", example)).ReadJsonAsync(HttpStatusCode.Accepted);
        }

        // No event_id: each send is a new event with a generated id.
        Assert.Equal(3m, (await tenant.UsageAsync("cust_123"))["api calls"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Storage_usage_pattern_sums_exact_decimals()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("storage.usage", "SUM", "gb", name: "storage");
        await tenant.CreateCustomerAsync("cust_123");
        const string example = """
            {
              "event_name": "storage.usage",
              "external_customer_id": "cust_123",
              "properties": {
                "gb": 1.5,
                "bucket": "user-uploads"
              },
              "source": "storage-service"
            }
            """;
        await (await tenant.PostJsonAsync("/v1/events", example)).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(1.5m, (await tenant.UsageAsync("cust_123"))["storage"].GetProperty("value").GetDecimal());

        // 0.1 ten times is exactly 1 in decimal (a double would give 0.9999999999999999).
        for (var i = 0; i < 10; i++)
        {
            await (await tenant.PostEventAsync(new { event_name = "storage.usage", external_customer_id = "cust_123", properties = new { gb = 0.1m } }))
                .ReadJsonAsync(HttpStatusCode.Accepted);
        }

        var usage = await tenant.UsageAsync("cust_123");
        Assert.Equal(2.5m, usage["storage"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task User_activity_pattern_counts_unique_users()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("user.login", "COUNT_UNIQUE", "user_id", name: "active users");
        await tenant.CreateCustomerAsync("cust_123");
        string[] logins = ["user_456", "user_789", "user_456", "user_456", "user_001"];
        foreach (var user in logins)
        {
            var json = $$"""
                {
                  "event_name": "user.login",
                  "external_customer_id": "cust_123",
                  "properties": {
                    "user_id": "{{user}}",
                    "platform": "web"
                  },
                  "source": "auth-service"
                }
                """;
            await (await tenant.PostJsonAsync("/v1/events", json)).ReadJsonAsync(HttpStatusCode.Accepted);
        }

        var usage = (await tenant.UsageAsync("cust_123"))["active users"];
        Assert.Equal(logins.Distinct().Count(), usage.GetProperty("value").GetDecimal());
        Assert.Equal(logins.Length, usage.GetProperty("event_count").GetInt64());
    }
}
