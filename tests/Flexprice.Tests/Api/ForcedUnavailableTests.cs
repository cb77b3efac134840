using System.Net;
using System.Text;
using System.Text.Json;
using Flexprice.Grains;
using Flexprice.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace Flexprice.Tests.Api;

/// <summary>
/// Requests answered 503 while their commit is held up in PostgreSQL (a transaction of the test's holds the row
/// the customer's next append needs; grain calls time out after 5 s): a retry with the same Idempotency-Key is
/// counted once even when the first attempt's commit went through after its 503, and a bulk whose parts were
/// partly stored says event by event what became of each.
/// </summary>
public sealed class ForcedUnavailableTests(ForcedUnavailableTests.SlowCommitApi api) : IClassFixture<ForcedUnavailableTests.SlowCommitApi>
{
    [Fact]
    public async Task A_single_event_answered_503_whose_commit_went_through_later_is_counted_once_when_retried_with_its_key()
    {
        using var tenant = await NewTenantAsync();
        var key = $"k-{Guid.NewGuid():N}";
        const string Event = """{"event_name": "model.usage", "external_customer_id": "cust_a", "properties": {"credits": 7}}""";

        await using (var hold = await HoldNextPositionAsync(tenant.TenantId, "cust_a"))
        {
            var unavailable = await SendAsync(tenant, "/v1/events", Event, key);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        }

        // The held transaction rolled back: the append that was waiting for it commits now, after its 503.
        await WaitUntilStoredAsync(tenant.TenantId, "cust_a", 1);
        var retry = await (await SendAsync(tenant, "/v1/events", Event, key)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(await StoredIdAsync(tenant.TenantId, "cust_a"), retry.GetProperty("event_id").GetString());
        var usage = await tenant.UsageAsync("cust_a");
        Assert.Equal(7m, usage["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(1, usage["credits"].GetProperty("event_count").GetInt64());
    }

    [Fact]
    public async Task A_bulk_answered_503_is_counted_once_when_retried_with_its_key()
    {
        using var tenant = await NewTenantAsync();
        var key = $"k-{Guid.NewGuid():N}";
        const string Bulk = """
            {"events": [
              {"event_name": "model.usage", "external_customer_id": "cust_a", "properties": {"credits": 1}},
              {"event_name": "model.usage", "external_customer_id": "cust_b", "properties": {"credits": 2}},
              {"event_name": "model.usage", "external_customer_id": "cust_a", "properties": {"credits": 4}}
            ]}
            """;

        await using (var hold = await HoldNextPositionAsync(tenant.TenantId, "cust_a"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SendAsync(tenant, "/v1/events/bulk", Bulk, key)).StatusCode);
        }

        var first = await (await SendAsync(tenant, "/v1/events/bulk", Bulk, key)).ReadJsonAsync(HttpStatusCode.Accepted);
        var again = await (await SendAsync(tenant, "/v1/events/bulk", Bulk, key)).ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal(first.GetProperty("event_ids").GetRawText(), again.GetProperty("event_ids").GetRawText());
        Assert.Equal(3, again.GetProperty("duplicates").GetInt32());
        Assert.Equal(5m, (await tenant.UsageAsync("cust_a"))["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(2m, (await tenant.UsageAsync("cust_b"))["credits"].GetProperty("value").GetDecimal());
        Assert.Equal(3L, await StoredCountAsync(tenant.TenantId));
    }

    [Fact]
    public async Task A_bulk_partly_stored_when_a_part_fails_answers_503_with_each_events_outcome()
    {
        using var tenant = await NewTenantAsync();
        // Both customers known to this API node, and only server-made ids: no part is checked before the commits.
        await (await SendAsync(tenant, "/v1/events/bulk", """{"events": [{"event_name": "model.usage", "external_customer_id": "cust_a", "properties": {"credits": 0}}, {"event_name": "model.usage", "external_customer_id": "cust_b", "properties": {"credits": 0}}]}""", null))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        const string Bulk = """
            {"events": [
              {"event_name": "model.usage", "external_customer_id": "cust_a", "properties": {"credits": 1}},
              {"event_name": "model.usage", "external_customer_id": "cust_b", "properties": {"credits": 2}}
            ]}
            """;

        JsonElement body;
        await using (var hold = await HoldNextPositionAsync(tenant.TenantId, "cust_a", after: 1))
        {
            // cust_a's grain is kept busy by an append waiting on the held row, so the bulk's part for cust_a waits
            // behind it, while cust_b's part goes out in a flush of its own and commits.
            var blocker = SendAsync(tenant, "/v1/events", """{"event_name": "model.usage", "external_customer_id": "cust_a", "properties": {"credits": 0}}""", null);
            await WaitUntilBlockedAsync(hold.Connection);
            body = await (await SendAsync(tenant, "/v1/events/bulk", Bulk, null)).ReadJsonAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await blocker).StatusCode);
        }

        var outcomes = body.GetProperty("outcomes").EnumerateArray().ToDictionary(o => o.GetProperty("index").GetInt32(), o => o.GetProperty("status").GetString());
        Assert.Equal("unknown", outcomes[0]);
        Assert.Equal("stored", outcomes[1]);
        Assert.Equal(0, body.GetProperty("errors").EnumerateArray().Single().GetProperty("index").GetInt32());
        Assert.Equal(2m, (await tenant.UsageAsync("cust_b"))["credits"].GetProperty("value").GetDecimal());
    }

    private static async Task<HttpResponseMessage> SendAsync(TenantClient tenant, string route, string json, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Prefer", "return=representation");
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await tenant.Http.SendAsync(request);
    }

    /// <summary>
    /// Inserts, in a transaction left open, a row at the customer's next log position (moving its head there): the
    /// customer's next append waits for it. Disposing rolls it back, and the waiting append goes through.
    /// </summary>
    private static async Task<Hold> HoldNextPositionAsync(string tenantId, string customer, long after = 0)
    {
        var connection = new NpgsqlConnection(await TestDatabase.ReadyAsync());
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await LogRows.InsertAsync(connection, transaction, tenantId, customer, after + 1,
            new IngestEvent($"held-{Guid.NewGuid():N}", "model.usage", new DateTime(2025, 8, 22, 7, 5, 49, DateTimeKind.Utc), null, "{}", [0], EventIdGiven: true));
        return new Hold(connection, transaction);
    }

    /// <summary>Waits (in real time: the wait is PostgreSQL's) until some session waits for a lock <paramref name="holder"/> holds.</summary>
    private static async Task WaitUntilBlockedAsync(NpgsqlConnection holder)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await TestDatabase.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE @pid = ANY(pg_blocking_pids(pid))", ("pid", holder.ProcessID)) > 0)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail("No append reached the held row");
    }

    private static async Task WaitUntilStoredAsync(string tenantId, string customer, long count)
    {
        for (var i = 0; i < 500 && await StoredCountAsync(tenantId, customer) < count; i++)
        {
            await Task.Delay(20);
        }
    }

    private static Task<long> StoredCountAsync(string tenantId, string? customer = null) =>
        TestDatabase.ScalarAsync<long>(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND (@c = '' OR external_customer_id = @c)", ("t", tenantId), ("c", customer ?? ""));

    private static Task<string?> StoredIdAsync(string tenantId, string customer) =>
        TestDatabase.ScalarAsync<string>("SELECT event_id FROM events WHERE tenant_id = @t AND external_customer_id = @c", ("t", tenantId), ("c", customer));

    private async Task<TenantClient> NewTenantAsync()
    {
        var tenant = await api.NewTenantAsync();
        await tenant.CreateFeatureAsync("model.usage", "SUM", "credits", name: "credits");
        await tenant.CreateCustomerAsync("cust_a");
        await tenant.CreateCustomerAsync("cust_b");
        return tenant;
    }

    /// <summary>A transaction holding a row; disposing it rolls it back and closes its connection.</summary>
    private sealed record Hold(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.RollbackAsync();
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>The API with grain calls that time out after 5 s (long enough for the parts that are not held, on a loaded machine), and flushes that go out concurrently as soon as two appends wait.</summary>
    public sealed class SlowCommitApi : ApiFactory
    {
        protected override void ConfigureSettings(IWebHostBuilder builder)
        {
            builder.UseSetting("Orleans:Messaging:ResponseTimeout", "00:00:05");
            builder.UseSetting("EventLogWriter:MinAppendsForConcurrentFlush", "1");
        }
    }
}
