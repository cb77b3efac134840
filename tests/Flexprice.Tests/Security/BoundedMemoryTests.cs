using System.Net;
using System.Text;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Grains.State;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Flexprice.Tests.Security;

/// <summary>What a client sends cannot make the server hold much of it: rejections and recent events are bounded in bytes.</summary>
[Collection(ApiCollection.Name)]
public sealed class BoundedMemoryTests(ApiFactory api)
{
    private static readonly DateTime T0 = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task A_rejection_entry_holds_at_most_512_characters_whatever_it_is_given()
    {
        var log = api.Services.GetRequiredService<IGrainFactory>().GetGrain<IRejectionLogGrain>($"tenant_{Guid.NewGuid():N}");
        var huge = new string('x', 1_000_000);

        await log.Record(new Rejection(DateTimeOffset.UtcNow, "POST /v1/events/" + huge, 400, huge, huge));

        var entry = Assert.Single(await log.List());
        Assert.True(entry.Route.Length + entry.Reason.Length + entry.RequestHead.Length <= 512);
        Assert.StartsWith("POST /v1/events/", entry.Route, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_request_is_listed_with_a_short_reason_and_head()
    {
        using var tenant = await api.NewTenantAsync();
        var name = new string('n', 200);
        await tenant.CreateFeatureAsync(name, "COUNT");

        var body = JsonSerializer.Serialize(new { event_name = name, external_customer_id = new string('c', 255), properties = new { pad = new string('p', 50_000) } });
        var response = await tenant.PostJsonAsync("/v1/events", body);
        await response.ReadJsonAsync(HttpStatusCode.BadRequest);

        var listed = await (await tenant.Http.GetAsync("/v1/events/rejections")).ReadJsonAsync(HttpStatusCode.OK);
        var entry = listed.GetProperty("rejections")[0];
        Assert.True(Encoding.UTF8.GetByteCount(entry.GetRawText()) <= 1024, entry.GetRawText());
        Assert.StartsWith("Customer with external_customer_id 'ccc", entry.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Recent_events_of_one_customer_stay_under_its_byte_cap()
    {
        using var properties = JsonDocument.Parse(JsonSerializer.Serialize(new { pad = new string('p', 10_000) }));
        var hot = new HotEvents(T0, capacity: 100_000, maxBytes: 1_000_000);

        for (var i = 0; i < 500; i++)
        {
            hot.Add(i + 1, "e", T0.AddSeconds(i), properties.RootElement);
            Assert.InRange(hot.Bytes, 0, 1_000_000);
        }

        // It keeps the newest, and what it keeps is whole from its start on.
        Assert.InRange(hot.Count, 20, 50);
        Assert.Equal(500L, hot.Range("e", T0, T0.AddDays(1)).Last().Seq);
        Assert.All(hot.Range("e", T0, T0.AddDays(1)), e => Assert.True(e.Timestamp >= hot.From));
    }

    [Fact]
    public void Recent_events_of_all_customers_stay_near_the_silo_budget_and_are_given_back()
    {
        using var properties = JsonDocument.Parse(JsonSerializer.Serialize(new { pad = new string('p', 10_000) }));
        var budget = new HotEventsBudget(2_000_000);
        var customers = Enumerable.Range(0, 10).Select(_ => new HotEvents(T0, capacity: 100_000, maxBytes: 16_000_000, budget)).ToList();

        for (var i = 0; i < 2_000; i++)
        {
            customers[i % 10].Add(i + 1, "e", T0.AddSeconds(i), properties.RootElement);
        }

        // Over budget, an adding customer gives up half of its own: the total stays within one customer's share of the budget.
        Assert.InRange(budget.Used, 0, 2_000_000 + 200_000);
        Assert.Equal(customers.Sum(c => c.Bytes), budget.Used);
        foreach (var customer in customers)
        {
            customer.Release();
        }

        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public void An_event_whose_timestamps_all_match_cannot_stall_the_shrinking()
    {
        using var properties = JsonDocument.Parse(JsonSerializer.Serialize(new { pad = new string('p', 10_000) }));
        var hot = new HotEvents(T0, capacity: 100_000, maxBytes: 50_000);

        for (var i = 0; i < 20; i++)
        {
            hot.Add(i + 1, "e", T0.AddMinutes(1), properties.RootElement);
        }

        Assert.InRange(hot.Bytes, 0, 50_000);
    }
}
