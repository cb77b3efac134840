using System.Net;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Api;

/// <summary><c>POST /v1/events/bulk</c>: 1 to 1000 events, validated whole, stored all or none.</summary>
[Collection(ApiCollection.Name)]
public sealed class BulkEventsTests(ApiFactory api)
{
    private static readonly string[] Customers = ["cust_a", "cust_b", "cust_c"];

    [Fact]
    public async Task Bulk_answers_event_ids_in_request_order_echoing_given_ids_and_generating_the_rest()
    {
        using var tenant = await NewTenantAsync();

        var response = await tenant.PostBulkAsync(
            Event("cust_a", 1, "evt_given_1"),
            Event("cust_b", 2),
            Event("cust_a", 3, "evt_given_2"),
            Event("cust_c", 4),
            Event("cust_b", 5, "evt_given_3"));

        var body = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("Events accepted for processing", body.GetProperty("message").GetString());
        var ids = body.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(5, ids.Count);
        Assert.Equal("evt_given_1", ids[0]);
        Assert.Matches($"^event_{SpecExamplesTests.UlidPattern}$", ids[1]);
        Assert.Equal("evt_given_2", ids[2]);
        Assert.Matches($"^event_{SpecExamplesTests.UlidPattern}$", ids[3]);
        Assert.Equal("evt_given_3", ids[4]);
        Assert.NotEqual(ids[1], ids[3]);
        Assert.Equal(4m, await CreditsAsync(tenant, "cust_a"));
        Assert.Equal(7m, await CreditsAsync(tenant, "cust_b"));
        Assert.Equal(4m, await CreditsAsync(tenant, "cust_c"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task Bulk_of_zero_or_more_than_a_thousand_events_is_refused(int count)
    {
        using var tenant = await NewTenantAsync();
        var before = await SnapshotsAsync(tenant);

        var response = await tenant.PostBulkAsync([.. Enumerable.Range(0, count).Select(i => Event("cust_a", 1))]);

        var body = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Contains(count.ToString(System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotsAsync(tenant));
    }

    [Fact]
    public async Task Bulk_of_exactly_a_thousand_events_is_accepted()
    {
        using var tenant = await NewTenantAsync();
        var events = Enumerable.Range(0, 1000).Select(i => Event(Customers[i % 3], i % 7)).ToArray();

        var body = await (await tenant.PostBulkAsync(events)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(1000, body.GetProperty("event_ids").GetArrayLength());
        for (var c = 0; c < Customers.Length; c++)
        {
            var expected = Enumerable.Range(0, 1000).Where(i => i % 3 == c).Sum(i => i % 7);
            Assert.Equal(expected, await CreditsAsync(tenant, Customers[c]));
        }
    }

    [Theory]
    [InlineData("{}", "Missing required field: events")]
    [InlineData("""{"events": null}""", "Missing required field: events")]
    [InlineData("""{"events": {"event_name": "model.usage"}}""", "events")]
    [InlineData("""[{"event_name": "model.usage", "external_customer_id": "cust_a"}]""", "Invalid JSON format")]
    [InlineData("""{"events": [""", "Invalid JSON format")]
    [InlineData("", "Invalid JSON format")]
    public async Task Bulk_body_of_the_wrong_shape_is_refused(string json, string error)
    {
        using var tenant = await NewTenantAsync();

        var body = await (await tenant.PostJsonAsync("/v1/events/bulk", json)).ReadJsonAsync(HttpStatusCode.BadRequest);

        Assert.Contains(error, body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task One_bad_event_at_any_index_refuses_the_whole_bulk_and_stores_nothing(int badIndex)
    {
        using var tenant = await NewTenantAsync();
        var events = Enumerable.Range(0, 5).Select(i => (object)Event(Customers[i % 3], i + 1, $"evt_{i}")).ToArray();
        events[badIndex] = new { event_name = "model.usage", external_customer_id = Customers[badIndex % 3], properties = new { other = 1 } };
        var before = await SnapshotsAsync(tenant);

        var body = await (await tenant.PostBulkAsync(events)).ReadJsonAsync(HttpStatusCode.BadRequest);

        var errors = body.GetProperty("errors").EnumerateArray().ToList();
        var error = Assert.Single(errors);
        Assert.Equal(badIndex, error.GetProperty("index").GetInt32());
        Assert.Contains("credits", error.GetProperty("error").GetString());
        Assert.Equal(error.GetProperty("error").GetString(), body.GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotsAsync(tenant));

        // Nothing of the refused bulk was stored: its good events are new when sent again.
        events[badIndex] = Event(Customers[badIndex % 3], 100, $"evt_{badIndex}");
        await (await tenant.PostBulkAsync(events)).ReadJsonAsync(HttpStatusCode.Accepted);
        var total = 0m;
        foreach (var customer in Customers)
        {
            total += await CreditsAsync(tenant, customer);
        }

        Assert.Equal(Enumerable.Range(0, 5).Where(i => i != badIndex).Sum(i => i + 1) + 100, total);
    }

    [Fact]
    public async Task Every_bad_index_is_named_with_the_spec_message()
    {
        using var tenant = await NewTenantAsync();
        var before = await SnapshotsAsync(tenant);

        var response = await tenant.PostBulkAsync(
            Event("cust_a", 1),
            new { external_customer_id = "cust_a", properties = new { credits = 1 } },
            Event("cust_b", 1),
            new { event_name = "unknown.event", external_customer_id = "cust_b" },
            new { event_name = "model.usage", external_customer_id = " ", properties = new { credits = 1 } },
            42);

        var body = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("index").GetInt32(), e => e.GetProperty("error").GetString());
        Assert.Equal([1, 3, 4, 5], errors.Keys.Order());
        Assert.Equal("Missing required field: event_name", errors[1]);
        Assert.Equal("Event name 'unknown.event' not found", errors[3]);
        Assert.Equal("Missing required field: external_customer_id", errors[4]);
        Assert.Equal("Invalid JSON format", errors[5]);
        Assert.Equal("Missing required field: event_name", body.GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotsAsync(tenant));
    }

    [Fact]
    public async Task Unknown_customer_in_a_multi_customer_bulk_is_named_per_index_and_nothing_is_stored()
    {
        using var tenant = await NewTenantAsync();
        var before = await SnapshotsAsync(tenant);

        var response = await tenant.PostBulkAsync(
            Event("cust_a", 1, "evt_1"),
            Event("invalid_id", 2),
            Event("cust_b", 3, "evt_3"),
            Event("invalid_id", 4),
            Event("cust_c", 5));

        var body = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([1, 3], errors.Select(e => e.GetProperty("index").GetInt32()));
        Assert.All(errors, e => Assert.Equal("Customer with external_customer_id 'invalid_id' not found", e.GetProperty("error").GetString()));
        Assert.Equal("Customer with external_customer_id 'invalid_id' not found", body.GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotsAsync(tenant));
    }

    [Fact]
    public async Task Unknown_customer_alone_in_a_bulk_is_refused()
    {
        using var tenant = await NewTenantAsync();

        var body = await (await tenant.PostBulkAsync(Event("invalid_id", 1), Event("invalid_id", 2))).ReadJsonAsync(HttpStatusCode.BadRequest);

        Assert.Equal([0, 1], body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
        Assert.Equal("Customer with external_customer_id 'invalid_id' not found", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Conflicting_event_id_in_a_bulk_is_409_and_nothing_is_stored()
    {
        using var tenant = await NewTenantAsync();
        await (await tenant.PostEventAsync(Event("cust_b", 10, "evt_taken"))).ReadJsonAsync(HttpStatusCode.Accepted);
        var before = await SnapshotsAsync(tenant);

        var response = await tenant.PostBulkAsync(
            Event("cust_a", 1, "evt_new_1"),
            Event("cust_b", 11, "evt_taken"),
            Event("cust_c", 3, "evt_new_2"),
            Event("cust_b", 4));

        var body = await response.ReadJsonAsync(HttpStatusCode.Conflict);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(1, error.GetProperty("index").GetInt32());
        Assert.Equal("Event with event_id 'evt_taken' was already received with a different payload", error.GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotsAsync(tenant));
    }

    [Fact]
    public async Task Conflicting_event_id_in_a_single_customer_bulk_stores_nothing()
    {
        using var tenant = await NewTenantAsync();
        await (await tenant.PostEventAsync(Event("cust_a", 10, "evt_taken"))).ReadJsonAsync(HttpStatusCode.Accepted);
        var before = await SnapshotsAsync(tenant);

        var body = await (await tenant.PostBulkAsync(Event("cust_a", 1, "evt_new"), Event("cust_a", 11, "evt_taken"), Event("cust_a", 2)))
            .ReadJsonAsync(HttpStatusCode.Conflict);

        Assert.Equal(1, Assert.Single(body.GetProperty("errors").EnumerateArray()).GetProperty("index").GetInt32());
        Assert.Equal(before, await SnapshotsAsync(tenant));
    }

    [Fact]
    public async Task Conflict_together_with_an_unknown_customer_is_400_naming_both()
    {
        using var tenant = await NewTenantAsync();
        await (await tenant.PostEventAsync(Event("cust_a", 10, "evt_taken"))).ReadJsonAsync(HttpStatusCode.Accepted);
        var before = await SnapshotsAsync(tenant);

        var body = await (await tenant.PostBulkAsync(Event("invalid_id", 1), Event("cust_a", 11, "evt_taken"), Event("cust_b", 2)))
            .ReadJsonAsync(HttpStatusCode.BadRequest);

        Assert.Equal([0, 1], body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
        Assert.Equal(before, await SnapshotsAsync(tenant));
    }

    [Fact]
    public async Task Duplicates_within_one_bulk_are_counted_once()
    {
        using var tenant = await NewTenantAsync();

        var body = await (await tenant.PostBulkAsync(Event("cust_a", 5, "evt_1"), Event("cust_b", 1), Event("cust_a", 5, "evt_1"), Event("cust_a", 5, "evt_1")))
            .ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(["evt_1", "evt_1", "evt_1"], body.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()).Where(id => id == "evt_1"));
        var usage = await tenant.UsageAsync("cust_a");
        Assert.Equal(5m, usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(1, usage["credits"].GetProperty("event_count").GetInt64());
        Assert.Equal(1m, await CreditsAsync(tenant, "cust_b"));
    }

    [Fact]
    public async Task Same_event_id_with_different_payloads_within_one_bulk_is_refused()
    {
        using var tenant = await NewTenantAsync();
        var before = await SnapshotsAsync(tenant);

        var response = await tenant.PostBulkAsync(Event("cust_a", 5, "evt_1"), Event("cust_b", 1), Event("cust_a", 6, "evt_1"));

        var body = await response.ReadJsonAsync(HttpStatusCode.Conflict);
        Assert.Equal(2, Assert.Single(body.GetProperty("errors").EnumerateArray()).GetProperty("index").GetInt32());
        Assert.Equal(before, await SnapshotsAsync(tenant));
    }

    [Fact]
    public async Task Bulk_retry_after_acceptance_is_answered_202_and_counted_once()
    {
        using var tenant = await NewTenantAsync();
        object[] events = [Event("cust_a", 1, "evt_1"), Event("cust_b", 2, "evt_2"), Event("cust_c", 3, "evt_3")];

        await (await tenant.PostBulkAsync(events)).ReadJsonAsync(HttpStatusCode.Accepted);
        var after = await SnapshotsAsync(tenant);
        await (await tenant.PostBulkAsync(events)).ReadJsonAsync(HttpStatusCode.Accepted);
        await (await tenant.PostBulkAsync([.. events, Event("cust_a", 10, "evt_4")])).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.NotEqual(after, await SnapshotsAsync(tenant));
        Assert.Equal(11m, await CreditsAsync(tenant, "cust_a"));
        Assert.Equal(2m, await CreditsAsync(tenant, "cust_b"));
        Assert.Equal(3m, await CreditsAsync(tenant, "cust_c"));
    }

    private static object Event(string customer, decimal credits, string? eventId = null) =>
        new { event_name = "model.usage", external_customer_id = customer, event_id = eventId, properties = new { credits } };

    private static async Task<decimal> CreditsAsync(TenantClient tenant, string customer) =>
        (await tenant.UsageAsync(customer))["credits"].GetProperty("value").GetDecimal();

    private static async Task<string> SnapshotsAsync(TenantClient tenant)
    {
        var snapshots = new List<string>();
        foreach (var customer in Customers)
        {
            snapshots.Add(await tenant.UsageSnapshotAsync(customer));
        }

        return string.Join('\n', snapshots);
    }

    /// <summary>A fresh tenant with a SUM feature "credits" over <c>model.usage</c> and customers cust_a, cust_b, cust_c.</summary>
    private async Task<TenantClient> NewTenantAsync()
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        foreach (var customer in Customers)
        {
            await tenant.CreateCustomerAsync(customer);
        }

        return tenant;
    }
}
