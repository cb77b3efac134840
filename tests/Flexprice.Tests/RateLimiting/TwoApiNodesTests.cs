using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.RateLimiting;

/// <summary>
/// Two API nodes over one silo: the first co-hosts it, the second is an Orleans client of it
/// (<c>Orleans:Mode=client</c>, gateways found in the PostgreSQL membership table). Both ask the same
/// key grain, so a key's limit holds for the sum of its traffic, and both learn of catalog changes from it.
/// </summary>
[Collection(RateLimitApiCollection.Name)]
public sealed class TwoApiNodesTests(RateLimitApiFactory api)
{
    [Fact]
    public async Task Two_api_nodes_enforce_one_combined_limit()
    {
        using var secondNode = new ClientModeApi(api);
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");
        var (_, first) = await api.NewKeyAsync(tenant, eventsPerMinute: 10, bulkPerMinute: null);
        using var _first = first;
        var rawKey = first.DefaultRequestHeaders.GetValues("x-api-key").Single();
        using var second = secondNode.ClientWithKey(rawKey);

        var statuses = new List<(int Node, HttpStatusCode Status)>();
        for (var i = 0; i < 8; i++)
        {
            foreach (var (node, client) in new[] { (1, first), (2, second) })
            {
                var json = $$"""{"event_name": "api.calls", "external_customer_id": "cust_1", "event_id": "e{{node}}_{{i}}"}""";
                var response = await client.PostAsync("/v1/events", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
                statuses.Add((node, response.StatusCode));
            }
        }

        Assert.Equal(10, statuses.Count(s => s.Status == HttpStatusCode.Accepted));
        Assert.Equal(6, statuses.Count(s => s.Status == HttpStatusCode.TooManyRequests));
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Accepted, s.Status));
        Assert.Contains(statuses.Skip(10), s => s.Node == 1);
        Assert.Contains(statuses.Skip(10), s => s.Node == 2);
        Assert.Equal(10m, (await tenant.UsageAsync("cust_1"))["calls"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task A_feature_created_through_one_node_is_seen_at_once_by_another_that_cached_the_catalog_before()
    {
        using var secondNode = new ClientModeApi(api);
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");
        using var second = secondNode.ClientWithKey(tenant.ApiKey);
        static StringContent Event(string name) => new($$"""{"event_name": "{{name}}", "external_customer_id": "cust_1"}""", System.Text.Encoding.UTF8, "application/json");

        // The second node reads (and keeps) the catalog of version 1; a new event name is unknown to it.
        Assert.Equal(HttpStatusCode.Accepted, (await second.PostAsync("/v1/events", Event("api.calls"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await second.PostAsync("/v1/events", Event("storage.used"))).StatusCode);

        // Created through the first node: the very next request to the second node knows it.
        await tenant.CreateFeatureAsync("storage.used", "COUNT", name: "storage");
        Assert.Equal(HttpStatusCode.Accepted, (await second.PostAsync("/v1/events", Event("storage.used"))).StatusCode);
        Assert.Equal(1m, (await tenant.CaughtUpUsageAsync("cust_1"))["storage"].GetProperty("value").GetDecimal());
    }
}
