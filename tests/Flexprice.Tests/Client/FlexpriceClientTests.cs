using System.Net;
using Flexprice.Client;
using Flexprice.Client.Catalog;
using Flexprice.Client.Events;
using Flexprice.Client.Usage;
using MeterAggregation = Flexprice.Client.Catalog.Aggregation;
using Meter = Flexprice.Client.Catalog.Meter;
using NewFeature = Flexprice.Client.Catalog.NewFeature;
using UsageQuery = Flexprice.Client.Usage.UsageQuery;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Client;

/// <summary>The typed client against the real API (in process, real silo, real PostgreSQL).</summary>
[Collection(ApiCollection.Name)]
public sealed class FlexpriceClientTests(ApiFactory api)
{
    [Fact]
    public async Task Typed_client_creates_the_catalog_sends_single_and_bulk_events_and_reads_usage_equal_to_what_it_sent()
    {
        using var tenant = await api.NewTenantAsync();
        await using var provider = FlexpriceClients.InProcess(api, tenant.ApiKey);
        var client = provider.Client();

        var credits = await client.CreateFeatureAsync(new NewFeature("Credits", new Meter("model.usage", new MeterAggregation("SUM", "credits"))));
        var calls = await client.CreateFeatureAsync(new NewFeature("Calls", new Meter("model.usage", new MeterAggregation("COUNT"))));
        Assert.Equal("model.usage", credits.Meter.EventName);
        Assert.Equal("SUM", credits.Meter.Aggregation.Type);
        var customers = new[] { "cust-1", "team:eu", "cust 3" };
        var created = new List<Customer>();
        foreach (var c in customers)
        {
            created.Add(await client.CreateCustomerAsync(new NewCustomer(c, $"Customer {c}")));
            Assert.Equal(c, created[^1].ExternalId);
        }

        var duplicate = await Assert.ThrowsAsync<FlexpriceApiException>(() => client.CreateCustomerAsync(new NewCustomer("cust-1")));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(3, (await client.ListCustomersAsync()).Total);
        Assert.Equal(["Calls", "Credits"], (await client.ListFeaturesAsync()).Select(f => f.Name).Order());
        Assert.Equal("cust 3", (await client.GetCustomerAsync(created[2].Id)).ExternalId);

        var random = new Random(7);
        var sent = new List<(string Customer, decimal Credits)>();
        UsageEvent Next()
        {
            var customer = customers[random.Next(customers.Length)];
            var amount = new decimal(random.Next(1, 100_000), 0, 0, false, (byte)random.Next(0, 3));
            sent.Add((customer, amount));
            return new UsageEvent("model.usage", customer) { Properties = new Dictionary<string, object?> { ["credits"] = amount } };
        }

        for (var i = 0; i < 5; i++)
        {
            var single = await client.SendEventAsync(Next());
            Assert.Equal(SendStatus.Accepted, single.Status);
            Assert.StartsWith(EventIds.Prefix, Assert.Single(single.EventIds));
        }

        var bulk = await client.SendEventsAsync([.. Enumerable.Range(0, 300).Select(_ => Next())]);
        Assert.Equal(SendStatus.Accepted, bulk.Status);
        Assert.Equal(300, bulk.EventIds.Distinct().Count());

        foreach (var c in customers)
        {
            var usage = await client.GetCustomerUsageAsync(c);
            Assert.Equal(sent.Where(s => s.Customer == c).Sum(s => s.Credits), usage["Credits"]!.Number);
            Assert.Equal(sent.Count(s => s.Customer == c), usage["Calls"]!.Number);
        }

        var query = await client.QueryUsageAsync(new UsageQuery
        {
            EventName = "model.usage",
            AggregationType = "SUM",
            PropertyName = "credits",
            StartTime = DateTimeOffset.UtcNow.AddHours(-1),
            EndTime = DateTimeOffset.UtcNow.AddMinutes(1),
            WindowSize = "HOUR",
        });
        Assert.Equal(sent.Sum(s => s.Credits), query.Number);
        Assert.Equal(sent.Count, query.EventCount);
        Assert.Equal(sent.Sum(s => s.Credits), query.Results.Sum(w => w.Number));
        var byFeature = await client.QueryUsageAsync(new UsageQuery { FeatureId = calls.Id, ExternalCustomerId = "cust-1", StartTime = DateTimeOffset.UtcNow.AddHours(-1) });
        Assert.Equal(sent.Count(s => s.Customer == "cust-1"), byFeature.Number);
    }

    [Fact]
    public async Task Sending_the_same_events_again_is_accepted_and_counted_zero_more_times()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust-1");
        await using var provider = FlexpriceClients.InProcess(api, tenant.ApiKey);
        var client = provider.Client();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = Enumerable.Range(1, 20)
            .Select(i => new UsageEvent("model.usage", "cust-1") { EventId = $"evt-{i}", Timestamp = at, Properties = new Dictionary<string, object?> { ["credits"] = i } })
            .ToList();

        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Equal(SendStatus.Accepted, (await client.SendEventsAsync(events)).Status);
            Assert.Equal(SendStatus.Accepted, (await client.SendEventAsync(events[0])).Status);
        }

        var usage = await client.GetCustomerUsageAsync("cust-1");
        Assert.Equal(210m, usage["credits"]!.Number);
        Assert.Equal(20, usage["credits"]!.EventCount);
    }

    [Fact]
    public async Task A_refused_bulk_names_its_bad_events_by_index_stores_nothing_and_the_rest_passes_once_they_are_set_aside()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust-1");
        await using var provider = FlexpriceClients.InProcess(api, tenant.ApiKey);
        var client = provider.Client();
        UsageEvent Event(string customer, object credits) => new("model.usage", customer) { Properties = new Dictionary<string, object?> { ["credits"] = credits } };
        var events = new List<(int Index, UsageEvent Event)> { (0, Event("cust-1", 1)), (1, Event("nobody", 2)), (2, Event("cust-1", 3)), (3, Event("cust-1", "lots")) };
        var named = new HashSet<int>();

        // The server may name the bad events in stages (malformed first, then unknown customers):
        // set aside those it names and send the rest, as the sender and the importer do.
        while (true)
        {
            var result = await client.SendEventsAsync([.. events.Select(e => e.Event)]);
            if (result.IsAccepted)
            {
                break;
            }

            Assert.Equal(SendStatus.Refused, result.Status);
            Assert.Equal(400, result.StatusCode);
            Assert.NotEmpty(result.Errors!);
            Assert.Equal(0m, (await client.GetCustomerUsageAsync("cust-1"))["credits"]!.Number);
            Assert.Throws<FlexpriceApiException>(() => result.EnsureAccepted());
            var bad = result.Errors!.Select(e => events[e.Index].Index).ToList();
            named.UnionWith(bad);
            events.RemoveAll(e => bad.Contains(e.Index));
        }

        Assert.Equal([1, 3], named.Order());
        Assert.Equal(4m, (await client.GetCustomerUsageAsync("cust-1"))["credits"]!.Number);
    }

    [Fact]
    public async Task A_wrong_key_is_denied_not_retried()
    {
        var log = new RequestLog();
        await using var provider = FlexpriceClients.InProcess(api, "sk_not_a_key", log: log);

        var result = await provider.Client().SendEventAsync(new UsageEvent("model.usage", "cust-1"));

        Assert.Equal(SendStatus.Denied, result.Status);
        Assert.Equal(401, result.StatusCode);
        Assert.Single(log.Attempts);
    }
}
