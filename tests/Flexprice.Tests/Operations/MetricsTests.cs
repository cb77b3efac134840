using System.Net;
using System.Text;
using Flexprice.Tests.Durability;
using Flexprice.Tests.Infrastructure;

namespace Flexprice.Tests.Operations;

/// <summary>
/// <c>/metrics</c> as Prometheus scrapes it, on a server that sees only this class's traffic: the ingestion
/// counters move by exactly what the requests did, and the usage the API reports agrees.
/// </summary>
public sealed class MetricsTests(TelemetryServerFixture fixture) : IClassFixture<TelemetryServerFixture>
{
    private const string Accepted = "flexprice_ingestion_events_accepted_total";
    private const string Duplicate = "flexprice_ingestion_events_duplicate_total";
    private const string Conflict = "flexprice_ingestion_events_conflict_total";
    private const string Rejected = "flexprice_ingestion_requests_rejected_total";

    [Fact]
    public async Task Ingestion_counters_move_by_exactly_the_events_accepted_duplicated_and_refused()
    {
        var tenant = await EventLedger.NewTenantAsync(fixture.Settings, customers: 3);
        using var http = EventLedger.Client(fixture.Settings.BaseAddress, tenant.ApiKey);
        var random = new Random(15);
        var singles = Enumerable.Range(0, 7).Select(i => EventLedger.NewEvent($"single-{i}-{Guid.NewGuid():N}", tenant.Customers[i % 3], random)).ToList();
        var bulk = Enumerable.Range(0, 13).Select(i => EventLedger.NewEvent($"bulk-{i}-{Guid.NewGuid():N}", tenant.Customers[i % 3], random)).ToList();
        var before = await PrometheusScrape.ReadAsync(http);

        foreach (var e in singles)
        {
            using var response = await http.PostAsync("/v1/events", EventLedger.SingleBody(e));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        using (var response = await http.PostAsync("/v1/events/bulk", EventLedger.BulkBody(bulk)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var afterNew = await PrometheusScrape.ReadAsync(http);
        Assert.Equal(20, Delta(before, afterNew, Accepted));
        Assert.Equal(0, Delta(before, afterNew, Duplicate));
        Assert.Equal(1, Delta(before, afterNew, "flexprice_ingestion_bulk_size_count"));
        Assert.Equal(13, Delta(before, afterNew, "flexprice_ingestion_bulk_size_sum"));
        Assert.Equal(7, Delta(before, afterNew, "flexprice_ingestion_request_duration_seconds_count", ("http_route", "/v1/events"), ("http_response_status_code", "202")));
        Assert.Equal(1, Delta(before, afterNew, "flexprice_ingestion_request_duration_seconds_count", ("http_route", "/v1/events/bulk"), ("http_response_status_code", "202")));

        // Retries: answered 202, counted as duplicates, not accepted again.
        foreach (var e in singles.Take(3))
        {
            using var response = await http.PostAsync("/v1/events", EventLedger.SingleBody(e));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // Refusals: a conflicting payload, a missing field, an unknown customer, bad JSON.
        var conflicting = singles[0].Json.Replace("\"model\":\"gpt-4\"", "\"model\":\"other\"", StringComparison.Ordinal);
        await PostExpectingAsync(http, "/v1/events", conflicting, HttpStatusCode.Conflict);
        await PostExpectingAsync(http, "/v1/events", """{"external_customer_id":"cust-1"}""", HttpStatusCode.BadRequest);
        await PostExpectingAsync(http, "/v1/events", """{"event_name":"model.usage","external_customer_id":"nobody","properties":{"credits":1}}""", HttpStatusCode.BadRequest);
        await PostExpectingAsync(http, "/v1/events/bulk", "{not json", HttpStatusCode.BadRequest);

        var after = await PrometheusScrape.ReadAsync(http);
        Assert.Equal(20, Delta(before, after, Accepted));
        Assert.Equal(3, Delta(before, after, Duplicate));
        Assert.Equal(1, Delta(before, after, Conflict));
        Assert.Equal(1, Delta(before, after, Rejected, ("http_route", "/v1/events"), ("reason", "conflict")));
        Assert.Equal(1, Delta(before, after, Rejected, ("http_route", "/v1/events"), ("reason", "missing_field")));
        Assert.Equal(1, Delta(before, after, Rejected, ("http_route", "/v1/events"), ("reason", "unknown_customer")));
        Assert.Equal(1, Delta(before, after, Rejected, ("http_route", "/v1/events/bulk"), ("reason", "invalid_json")));
        Assert.Equal(4, Delta(before, after, Rejected));

        // The oracle: what the counters say was accepted is what the API counts.
        var stored = await EventLedger.StoredAsync(tenant.Id);
        Assert.Equal(20, stored.Count);
        var usage = 0L;
        foreach (var customer in tenant.Customers)
        {
            usage += (await EventLedger.UsageAsync(http, customer)).CreditsEventCount;
        }

        Assert.Equal(20, usage);
    }

    [Fact]
    public async Task Metrics_hold_the_project_orleans_aspnetcore_and_npgsql_meters()
    {
        using var http = new HttpClient { BaseAddress = fixture.Settings.BaseAddress };
        (await http.GetAsync("/health/ready")).EnsureSuccessStatusCode();

        var scrape = await PrometheusScrape.ReadAsync(http);

        Assert.True(scrape.Has("orleans_catalog_activations"), "Orleans' meter is missing");
        Assert.True(scrape.Has("http_server_request_duration_seconds_count"), "ASP.NET Core's meter is missing");
        Assert.True(scrape.Has("db_client_operation_duration_seconds_count"), "Npgsql's meter is missing");
        Assert.True(scrape.Has("dotnet_gc_collections_total"), "the runtime's meter is missing");
    }

    private static double Delta(PrometheusScrape before, PrometheusScrape after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    private static async Task PostExpectingAsync(HttpClient http, string path, string json, HttpStatusCode expected)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == expected, $"POST {path} {json}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
