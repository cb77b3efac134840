using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>Which features an event feeds: every feature of its name, including features created after it (usage is a function of the log).</summary>
[Collection(ApiCollection.Name)]
public sealed class FeatureMatchingTests(ApiFactory api)
{
    [Fact]
    public async Task Every_feature_sharing_an_event_name_is_fed()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "COUNT", name: "requests");
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateFeatureAsync("model.usage", "MAX", "credits", name: "peak");
        await tenant.CreateFeatureAsync("model.usage", "COUNT_UNIQUE", "model", name: "models");
        await tenant.CreateFeatureAsync("model.usage", "LATEST", "model", name: "last model");
        await tenant.CreateFeatureAsync("other.event", "COUNT", name: "other");
        await tenant.CreateCustomerAsync("cust_1");
        (decimal Credits, string Model)[] sent = [(2, "gpt-4"), (7.5m, "claude"), (1, "gpt-4")];

        foreach (var (credits, model) in sent)
        {
            await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", properties = new { credits, model } }))
                .ReadJsonAsync(HttpStatusCode.Accepted);
        }

        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(sent.Length, usage["requests"].GetProperty("value").GetDecimal());
        Assert.Equal(sent.Sum(e => e.Credits), usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(sent.Max(e => e.Credits), usage["peak"].GetProperty("value").GetDecimal());
        Assert.Equal(sent.Select(e => e.Model).Distinct().Count(), usage["models"].GetProperty("value").GetDecimal());
        Assert.Equal(sent[^1].Model, usage["last model"].GetProperty("value").GetString());
        Assert.Equal(0m, usage["other"].GetProperty("value").GetDecimal());
        Assert.Equal(0, usage["other"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Event_must_carry_the_field_of_every_feature_it_feeds()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "COUNT", name: "requests");
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust_1");

        var body = await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1" })).ReadJsonAsync(HttpStatusCode.BadRequest);

        Assert.Contains("credits", body.GetProperty("error").GetString());
        Assert.Equal(0, (await tenant.UsageAsync("cust_1"))["requests"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Feature_created_after_events_counts_the_earlier_events_of_its_name()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "COUNT", name: "requests");
        await tenant.CreateCustomerAsync("cust_1");
        await tenant.CreateCustomerAsync("cust_2");
        (string Customer, decimal? Credits)[] sent = [("cust_1", 2), ("cust_1", null), ("cust_2", 4), ("cust_1", 3.5m)];
        foreach (var (customer, credits) in sent)
        {
            object properties = credits is { } c ? new { credits = c } : new { note = "no credits" };
            await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = customer, properties }))
                .ReadJsonAsync(HttpStatusCode.Accepted);
        }

        // Read usage once, so the customer grains are active with the old catalog when the feature arrives.
        Assert.Equal(3m, (await tenant.UsageAsync("cust_1"))["requests"].GetProperty("value").GetDecimal());
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");

        foreach (var customer in new[] { "cust_1", "cust_2" })
        {
            var mine = sent.Where(e => e.Customer == customer).ToList();
            var usage = await tenant.CaughtUpUsageAsync(customer);
            Assert.Equal(mine.Count, usage["requests"].GetProperty("value").GetDecimal());
            // Events logged before the feature that lack its field do not feed it.
            Assert.Equal(mine.Sum(e => e.Credits ?? 0), usage["credits"].GetProperty("value").GetDecimal());
            Assert.Equal(mine.Count(e => e.Credits is not null), usage["credits"].GetProperty("event_count").GetInt64());
        }

        // And it goes on counting from there, with nothing counted twice.
        await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", properties = new { credits = 10 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        var after = await tenant.UsageAsync("cust_1");
        Assert.Equal(4m, after["requests"].GetProperty("value").GetDecimal());
        Assert.Equal(15.5m, after["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task New_event_name_is_accepted_as_soon_as_its_feature_exists()
    {
        using var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await tenant.CreateCustomerAsync("cust_1");
        await (await tenant.PostEventAsync(new { event_name = "new.event", external_customer_id = "cust_1" }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "Event name 'new.event' not found");

        await tenant.CreateFeatureAsync("new.event", "COUNT", name: "new");

        await (await tenant.PostEventAsync(new { event_name = "new.event", external_customer_id = "cust_1" })).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(1m, (await tenant.UsageAsync("cust_1"))["new"].GetProperty("value").GetDecimal());
    }
}
