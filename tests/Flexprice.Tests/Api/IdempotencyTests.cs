using System.Net;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary>Exactly-once usage: the idempotency key is (tenant, external_customer_id, event_id), for the life of the data.</summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotencyTests(ApiFactory api)
{
    [Fact]
    public async Task Retry_with_same_event_id_is_counted_once()
    {
        using var tenant = await NewTenantAsync();
        var sent = new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 3 } };

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var body = await (await tenant.PostEventAsync(sent)).ReadJsonAsync(HttpStatusCode.Accepted);
            Assert.Equal("evt_1", body.GetProperty("event_id").GetString());
            Assert.Equal("Event accepted for processing", body.GetProperty("message").GetString());
        }

        await (await tenant.PostBulkAsync(sent, sent)).ReadJsonAsync(HttpStatusCode.Accepted);
        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(3m, usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(1, usage["credits"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Retry_with_reordered_properties_and_other_whitespace_is_the_same_event()
    {
        using var tenant = await NewTenantAsync();
        await (await tenant.PostJsonAsync("/v1/events", """{"event_name":"model.usage","external_customer_id":"cust_1","event_id":"evt_1","properties":{"credits":3,"model":"gpt-4"}}"""))
            .ReadJsonAsync(HttpStatusCode.Accepted);

        await (await tenant.PostJsonAsync("/v1/events", """
            {
              "event_id": "evt_1",
              "properties": { "model": "gpt-4", "credits": 3 },
              "external_customer_id": "cust_1",
              "event_name": "model.usage"
            }
            """)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(3m, (await tenant.UsageAsync("cust_1"))["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Same_event_id_with_different_properties_is_a_conflict_and_changes_nothing()
    {
        using var tenant = await NewTenantAsync();
        await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 3 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        var before = await tenant.UsageSnapshotAsync("cust_1");

        var response = await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 4 } });

        await response.AssertErrorAsync(HttpStatusCode.Conflict, "Event with event_id 'evt_1' was already received with a different payload");
        Assert.Equal(before, await tenant.UsageSnapshotAsync("cust_1"));
    }

    [Fact]
    public async Task Same_event_id_with_a_different_event_name_is_a_conflict_and_changes_nothing()
    {
        using var tenant = await NewTenantAsync();
        await tenant.CreateFeatureAsync("api.calls", "COUNT", name: "calls");
        await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 3 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        var before = await tenant.UsageSnapshotAsync("cust_1");

        var response = await tenant.PostEventAsync(new { event_name = "api.calls", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 3 } });

        await response.AssertErrorAsync(HttpStatusCode.Conflict, "Event with event_id 'evt_1' was already received with a different payload");
        Assert.Equal(before, await tenant.UsageSnapshotAsync("cust_1"));
    }

    [Fact]
    public async Task Same_event_id_with_a_different_client_timestamp_is_a_conflict_and_changes_nothing()
    {
        using var tenant = await NewTenantAsync();
        await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", timestamp = "2025-08-22T07:05:49.441Z", properties = new { credits = 3 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        var before = await tenant.UsageSnapshotAsync("cust_1");

        var response = await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", timestamp = "2025-08-22T07:05:50.441Z", properties = new { credits = 3 } });

        await response.AssertErrorAsync(HttpStatusCode.Conflict, "Event with event_id 'evt_1' was already received with a different payload");
        Assert.Equal(before, await tenant.UsageSnapshotAsync("cust_1"));

        // The same instant written another way is the same timestamp.
        await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", timestamp = "2025-08-22T09:05:49.441+02:00", properties = new { credits = 3 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(before, await tenant.UsageSnapshotAsync("cust_1"));
    }

    [Fact]
    public async Task Same_event_id_without_timestamp_sent_twice_is_a_duplicate_not_a_conflict()
    {
        using var tenant = await NewTenantAsync();
        var sent = new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 3 } };

        await (await tenant.PostEventAsync(sent)).ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostEventAsync(sent)).ReadJsonAsync(HttpStatusCode.Accepted);

        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(3m, usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(1, usage["credits"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Same_event_id_for_two_customers_is_two_events()
    {
        using var tenant = await NewTenantAsync();
        await tenant.CreateCustomerAsync("cust_2");

        await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 3 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_2", event_id = "evt_1", properties = new { credits = 7 } }))
            .ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(3m, (await tenant.UsageAsync("cust_1"))["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(7m, (await tenant.UsageAsync("cust_2"))["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Same_event_id_in_two_tenants_is_two_events()
    {
        using var first = await NewTenantAsync();
        using var second = await NewTenantAsync();
        var sent = new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_1", properties = new { credits = 3 } };

        await (await first.PostEventAsync(sent)).ReadJsonAsync(HttpStatusCode.Accepted);
        await (await second.PostEventAsync(sent)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(3m, (await first.UsageAsync("cust_1"))["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(3m, (await second.UsageAsync("cust_1"))["credits"].GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task Concurrent_retries_of_one_event_are_counted_once()
    {
        using var tenant = await NewTenantAsync();
        var sent = new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_race", properties = new { credits = 5 } };

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => tenant.PostEventAsync(sent)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(5m, usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(1, usage["credits"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task Concurrent_single_events_for_one_customer_are_each_answered_on_their_own()
    {
        // Requests for one customer that arrive while its grain call is in flight go to the grain together: a conflict
        // must refuse only its own request, a retry must stay a duplicate, and every new event must count once.
        using var tenant = await NewTenantAsync();
        var first = await tenant.PostEventAsync(new { event_name = "model.usage", external_customer_id = "cust_1", event_id = "evt_taken", properties = new { credits = 1 } });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        // A quarter retries of the first (an eighth the same payload: duplicates; an eighth another one: conflicts), a
        // quarter new events sent twice each, half new events sent once.
        var sends = Enumerable.Range(0, 64).Select<int, (string Id, int Credits, HttpStatusCode Expected)>(i => (i % 4) switch
        {
            0 when i % 8 == 0 => ("evt_taken", 1, HttpStatusCode.Accepted),
            0 => ("evt_taken", 1000 + i, HttpStatusCode.Conflict),
            1 => ($"evt_twice_{i}", i, HttpStatusCode.Accepted),
            _ => ($"evt_new_{i}", i, HttpStatusCode.Accepted),
        }).ToList();
        sends.AddRange(sends.Where(s => s.Id.StartsWith("evt_twice_", StringComparison.Ordinal)).ToList());

        var responses = await Task.WhenAll(sends.Select(s => tenant.PostEventAsync(
            new { event_name = "model.usage", external_customer_id = "cust_1", event_id = s.Id, properties = new { credits = s.Credits } })));

        for (var i = 0; i < sends.Count; i++)
        {
            Assert.True(sends[i].Expected == responses[i].StatusCode, $"{sends[i]}: {responses[i].StatusCode}");
        }

        // The oracle: each event id once, with the payload it was accepted with (the first one's for evt_taken).
        var stored = sends.Where(s => s.Expected == HttpStatusCode.Accepted).DistinctBy(s => s.Id).ToList();
        var usage = await tenant.UsageAsync("cust_1");
        Assert.Equal(stored.Sum(s => s.Credits), usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(stored.Count, usage["credits"].GetProperty("event_count").GetInt64());
    }

    /// <summary>A fresh tenant with a SUM feature "credits" over <c>model.usage</c> and a customer <c>cust_1</c>.</summary>
    private async Task<TenantClient> NewTenantAsync()
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust_1");
        return tenant;
    }
}
