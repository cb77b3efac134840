using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Flexprice.Tests.Infrastructure;
using Npgsql;

namespace Flexprice.Tests.Durability;

/// <summary>One event as the test sent it: its client event id, its customer, its credits and its exact JSON.</summary>
public sealed record SentEvent(string EventId, string Customer, decimal Credits, string Json);

/// <summary>A customer's usage as the API reports it: the SUM feature's value and event count, and the COUNT feature's value.</summary>
public readonly record struct ReportedUsage(decimal Credits, long CreditsEventCount, decimal Calls);

/// <summary>A tenant made for one test: its id, its admin key, its customers.</summary>
public sealed record TestTenant(string Id, string ApiKey, IReadOnlyList<string> Customers);

/// <summary>
/// What the test knows about its events: every event it ever sent (with the exact JSON, so a
/// resend is byte for byte the same) and the ids of those whose request was answered 202.
/// </summary>
public sealed class EventLedger
{
    public const string EventName = "model.usage";
    public const string SumFeature = "credits";
    public const string CountFeature = "calls";

    private readonly ConcurrentDictionary<string, SentEvent> _sent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _acknowledged = new(StringComparer.Ordinal);

    public IReadOnlyCollection<SentEvent> Sent => [.. _sent.Values.OrderBy(e => e.EventId, StringComparer.Ordinal)];

    public int SentCount => _sent.Count;

    public int AcknowledgedCount => _acknowledged.Count;

    public IReadOnlyCollection<string> Acknowledged => [.. _acknowledged.Keys];

    public void RecordSent(SentEvent e)
    {
        if (!_sent.TryAdd(e.EventId, e))
        {
            throw new InvalidOperationException($"Event id {e.EventId} generated twice");
        }
    }

    public void RecordAcknowledged(IEnumerable<SentEvent> events)
    {
        foreach (var e in events)
        {
            _acknowledged.TryAdd(e.EventId, 0);
        }
    }

    public SentEvent this[string eventId] => _sent[eventId];

    public bool WasSent(string eventId) => _sent.ContainsKey(eventId);

    /// <summary>A new event with credits that are integers or decimals of scale 1 to 3 (trailing zeros kept, e.g. 2.500).</summary>
    public static SentEvent NewEvent(string eventId, string customer, Random random)
    {
        var scale = (byte)random.Next(0, 4);
        var credits = new decimal(random.Next(1, 1_000_000), 0, 0, false, scale);
        var timestamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var json = $$$"""{"event_id":"{{{eventId}}}","event_name":"{{{EventName}}}","external_customer_id":"{{{customer}}}","timestamp":"{{{timestamp}}}","source":"kill-test","properties":{"credits":{{{credits.ToString(CultureInfo.InvariantCulture)}}},"model":"gpt-4"}}""";
        return new SentEvent(eventId, customer, credits, json);
    }

    public static StringContent SingleBody(SentEvent e) => new(e.Json, Encoding.UTF8, "application/json");

    public static StringContent BulkBody(IEnumerable<SentEvent> events) => new(BulkJson(events), Encoding.UTF8, "application/json");

    public static string BulkJson(IEnumerable<SentEvent> events) => $$"""{"events":[{{string.Join(',', events.Select(e => e.Json))}}]}""";

    public static HttpClient Client(Uri baseAddress, string apiKey)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        // Bulks answer with their event ids.
        client.DefaultRequestHeaders.Add("Prefer", "return=representation");
        return client;
    }

    /// <summary>A fresh tenant (made with the bootstrap key) with a SUM and a COUNT feature on one event name, and its customers.</summary>
    public static async Task<TestTenant> NewTenantAsync(ServerSettings settings, int customers)
    {
        using var admin = Client(settings.BaseAddress, settings.BootstrapKey);
        using var created = await admin.PostAsJsonAsync("/v1/tenants", new { name = $"kill-{Guid.NewGuid():N}" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var tenant = new TestTenant(
            body.GetProperty("id").GetString()!,
            body.GetProperty("api_key").GetString()!,
            [.. Enumerable.Range(1, customers).Select(i => $"cust-{i}")]);

        using var http = Client(settings.BaseAddress, tenant.ApiKey);
        await CreateFeatureAsync(http, SumFeature, "SUM", "credits");
        await CreateFeatureAsync(http, CountFeature, "COUNT", null);
        foreach (var customer in tenant.Customers)
        {
            using var response = await http.PostAsJsonAsync("/v1/customers", new { external_id = customer, name = customer });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        return tenant;
    }

    private static async Task CreateFeatureAsync(HttpClient http, string name, string aggregation, string? field)
    {
        using var response = await http.PostAsJsonAsync("/v1/features", new
        {
            name,
            type = "metered",
            meter = new { event_name = EventName, aggregation = new { type = aggregation, field }, reset_usage = "BILLING_PERIOD" },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating feature {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<ReportedUsage> UsageAsync(HttpClient http, string customer)
    {
        using var response = await http.GetAsync($"/v1/customers/{Uri.EscapeDataString(customer)}/usage");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"usage of {customer}: {(int)response.StatusCode} {text}");
        using var body = JsonDocument.Parse(text);
        var features = body.RootElement.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature_name").GetString()!, f => f.Clone());
        return new ReportedUsage(
            features[SumFeature].GetProperty("value").GetDecimal(),
            features[SumFeature].GetProperty("event_count").GetInt64(),
            features[CountFeature].GetProperty("value").GetDecimal());
    }

    /// <summary>The tenant's events as the <c>events</c> table holds them; fails on an event id stored twice.</summary>
    public static async Task<Dictionary<string, (string Customer, decimal Credits)>> StoredAsync(string tenantId)
    {
        await using var connection = new NpgsqlConnection(await TestDatabase.ReadyAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT event_id, external_customer_id, properties->>'credits' FROM events WHERE tenant_id = @tenant", connection);
        command.Parameters.AddWithValue("tenant", tenantId);
        var stored = new Dictionary<string, (string, decimal)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetString(0);
            var credits = decimal.Parse(reader.GetString(2), NumberStyles.Number, CultureInfo.InvariantCulture);
            Assert.True(stored.TryAdd(id, (reader.GetString(1), credits)), $"event {id} is stored twice");
        }

        return stored;
    }
}
