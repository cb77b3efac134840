using System.Net;
using System.Text.Json;
using Flexprice.Grains.Storage;
using Flexprice.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Flexprice.Tests.Usage;

/// <summary>
/// Queries whose cost a client chooses: each answers at a bounded cost (a 400 naming the field past the limits, a
/// streaming fold over many events, a capped count), and the log's reads run on their own pool with a statement timeout.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class HeavyQueryTests(ApiFactory api)
{
    private static readonly DateTime T0 = new(2024, 2, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task More_than_ten_thousand_windows_is_a_400_naming_window_size()
    {
        using var tenant = await api.NewTenantAsync();

        var answer = await tenant.PostJsonAsync("/v1/events/usage", """
            {"event_name": "api.calls", "aggregation_type": "COUNT", "window_size": "MINUTE", "start_time": "2015-01-01T00:00:00Z", "end_time": "2025-01-01T00:00:00Z"}
            """);

        var body = await answer.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Contains("window_size", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("10000", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_by_over_more_than_ten_thousand_values_is_a_400_naming_group_by()
    {
        using var tenant = await api.NewTenantAsync();
        await InsertAsync(tenant.TenantId, "heavy", "seat.used", 10_001, "json_build_object('v', 1, 'seat', g)");
        const string query = """
            {"event_name": "seat.used", "aggregation_type": "MAX", "property_name": "v", "group_by": "seat", "start_time": "2024-02-01T00:00:00Z", "end_time": "<END>"}
            """;

        var within = await tenant.PostJsonAsync("/v1/events/usage", query.Replace("<END>", "2024-02-01T02:46:40Z", StringComparison.Ordinal));
        var over = await tenant.PostJsonAsync("/v1/events/usage", query.Replace("<END>", "2024-03-01T00:00:00Z", StringComparison.Ordinal));

        // [T0, T0 + 10,000 s) holds the first 9,999 events (the first is at T0 + 1 s): each seat's max is 1.
        Assert.Equal(9_999m, (await within.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("value").GetDecimal());
        var body = await over.ReadJsonAsync(HttpStatusCode.BadRequest);
        Assert.Contains("group_by", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_over_a_hundred_thousand_events_from_the_log_equals_postgres_own_sum_per_window()
    {
        using var tenant = await api.NewTenantAsync();
        await InsertAsync(tenant.TenantId, "big", "tokens", 100_000, "json_build_object('v', (g % 97) * 1.5)");

        var answer = await tenant.PostJsonAsync("/v1/events/usage", """
            {"event_name": "tokens", "aggregation_type": "SUM", "property_name": "v", "window_size": "HOUR", "start_time": "2024-02-01T00:00:00Z", "end_time": "2024-02-03T00:00:00Z"}
            """);

        var body = await answer.ReadJsonAsync(HttpStatusCode.OK);
        var expected = await TestDatabase.ScalarAsync<decimal>(
            "SELECT sum((properties->>'v')::numeric) FROM events WHERE tenant_id = @t AND event_name = 'tokens'", ("t", tenant.TenantId));
        Assert.Equal(expected, body.GetProperty("value").GetDecimal());
        Assert.Equal(100_000, body.GetProperty("event_count").GetInt64());
        var windows = body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(28, windows.Count); // 100,000 s = 27.8 hours
        Assert.Equal(expected, windows.Sum(w => w.GetProperty("value").GetDecimal()));
    }

    [Fact]
    public async Task Total_count_is_counted_once_up_to_a_cap_and_carried_to_the_next_pages()
    {
        using var tenant = await api.NewTenantAsync();
        await InsertAsync(tenant.TenantId, "many", "hits", 100_001, "json_build_object('n', g)");

        var first = await (await tenant.Http.GetAsync("/v1/events?page_size=2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(100_000, first.GetProperty("total_count").GetInt64());
        Assert.True(first.GetProperty("total_count_capped").GetBoolean());
        await InsertAsync(tenant.TenantId, "more", "hits", 5, "json_build_object('n', g)");
        var next = await (await tenant.Http.GetAsync($"/v1/events?page_size=2&iter_last_key={first.GetProperty("iter_last_key").GetString()}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(100_000, next.GetProperty("total_count").GetInt64());
        Assert.True(next.GetProperty("total_count_capped").GetBoolean());

        // Under the cap the count is exact, and the next page carries the first page's count.
        var few = await (await tenant.Http.GetAsync("/v1/events?page_size=2&external_customer_id=more")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, few.GetProperty("total_count").GetInt64());
        Assert.False(few.GetProperty("total_count_capped").GetBoolean());
        await InsertAsync(tenant.TenantId, "more", "hits", 1, "json_build_object('n', g)", firstSeq: 6);
        var fewNext = await (await tenant.Http.GetAsync($"/v1/events?page_size=2&external_customer_id=more&iter_last_key={few.GetProperty("iter_last_key").GetString()}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, fewNext.GetProperty("total_count").GetInt64());
        var fresh = await (await tenant.Http.GetAsync("/v1/events?page_size=2&external_customer_id=more")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(6, fresh.GetProperty("total_count").GetInt64());
    }

    [Fact]
    public async Task Log_reads_have_their_own_pool_with_a_statement_timeout_and_writes_have_none()
    {
        var database = api.Services.GetRequiredService<FlexpriceDatabase>();

        await using var read = database.Reads.CreateCommand("SELECT current_setting('statement_timeout'), current_setting('application_name')");
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("10s", reader.GetString(0));
        Assert.Equal("flexprice-reads", reader.GetString(1));
        await using var write = database.DataSource.CreateCommand("SELECT current_setting('statement_timeout')");
        Assert.Equal("0", await write.ExecuteScalarAsync());
    }

    /// <summary>
    /// <paramref name="count"/> events of one customer straight into the log, one a second from <see cref="T0"/> + 1 s,
    /// <paramref name="properties"/> a SQL expression of <c>g</c> (1, 2, …): many events without ingesting them one by one.
    /// </summary>
    private static async Task InsertAsync(string tenantId, string customer, string eventName, int count, string properties, int firstSeq = 1)
    {
        // As a writer of the log would: the days' partitions, the rows, their idempotency keys and the customer's head.
        await TestDatabase.ScalarAsync<string[]>(
            "SELECT events_ensure_partitions(ARRAY(SELECT DISTINCT date_trunc('day', @t0 + s * interval '1 second') FROM generate_series(@first, @first + @count - 1) AS s))",
            ("t0", T0), ("count", count), ("first", firstSeq));
        await TestDatabase.ScalarAsync<long>(
            $"""
            WITH r AS (
                SELECT s, s - @first + 1 AS g, @t0 + s * interval '1 second' AS t FROM generate_series(@first, @first + @count - 1) AS s
            ), ids AS (
                INSERT INTO event_ids (tenant_id, event_id, external_customer_id, customer_seq, event_time, fingerprint)
                SELECT @t, 'evt-' || s, @c, s, t, '\x00'::bytea FROM r
            ), head AS (
                INSERT INTO event_log_heads (tenant_id, external_customer_id, last_seq) VALUES (@t, @c, @first + @count - 1)
                ON CONFLICT (tenant_id, external_customer_id) DO UPDATE SET last_seq = greatest(event_log_heads.last_seq, EXCLUDED.last_seq)
            )
            INSERT INTO events (tenant_id, external_customer_id, customer_seq, event_id, event_name, source, event_time, properties, ingested_at)
            SELECT @t, @c, s, 'evt-' || s, @name, NULL, t, {properties}::json, now() FROM r
            """,
            ("t", tenantId), ("c", customer), ("name", eventName), ("t0", T0), ("count", count), ("first", firstSeq));
    }
}
