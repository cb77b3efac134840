using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Flexprice.Bench;

/// <summary>
/// The bench tenant: its features (one SUM of <c>credits</c> per event name <c>bench.f{k}</c>), its
/// customers (<c>c0</c>…), and the usage every customer must show given what was acknowledged.
/// Request bodies are built here; a 202 adds its new events to the expected totals.
/// </summary>
public sealed class Workload
{
    private readonly long[] _expected;
    private long _newEvents;

    private Workload(string tenantId, string apiKey, int customers, int features)
    {
        TenantId = tenantId;
        ApiKey = apiKey;
        Customers = customers;
        Features = features;
        _expected = new long[customers * features];
    }

    public string TenantId { get; }
    public string ApiKey { get; }
    public int Customers { get; }
    public int Features { get; }

    /// <summary>New (not duplicate) events acknowledged so far: the rows the tenant's log must hold.</summary>
    public long NewEvents => Interlocked.Read(ref _newEvents);

    public static async Task<Workload> CreateAsync(HttpClient http, string adminKey, int customers, int features)
    {
        var created = await SendAsync(http, HttpMethod.Post, "/v1/tenants", adminKey, new { name = $"bench-{Guid.NewGuid():N}" });
        var workload = new Workload(created.GetProperty("id").GetString()!, created.GetProperty("api_key").GetString()!, customers, features);
        for (var f = 0; f < features; f++)
        {
            await SendAsync(http, HttpMethod.Post, "/v1/features", workload.ApiKey, new
            {
                name = $"bench f{f}",
                type = "metered",
                meter = new { event_name = $"bench.f{f}", aggregation = new { type = "SUM", field = "credits" } },
            });
        }

        await Parallel.ForEachAsync(Enumerable.Range(0, customers), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, _) =>
            await SendAsync(http, HttpMethod.Post, "/v1/customers", workload.ApiKey, new { external_id = $"c{c}", name = $"c{c}" }));
        return workload;
    }

    /// <summary>One generated event: who, which feature, how much, and its client id (null: the server names it).</summary>
    public readonly record struct Sent(int Customer, int Feature, int Credits, string? EventId);

    public Sent NewEvent(Random random, string? eventId = null) => new(random.Next(Customers), random.Next(Features), random.Next(1, 100), eventId);

    public static void Append(StringBuilder body, Sent e)
    {
        body.Append("{\"event_name\":\"bench.f").Append(e.Feature).Append("\",\"external_customer_id\":\"c").Append(e.Customer).Append('"');
        if (e.EventId is not null)
        {
            body.Append(",\"event_id\":\"").Append(e.EventId).Append('"');
        }

        body.Append(",\"properties\":{\"credits\":").Append(e.Credits).Append("}}");
    }

    /// <summary>
    /// A request for these events; on 202 the ones flagged new are added to the expected totals
    /// (repeats of acknowledged events must count zero more times).
    /// </summary>
    public Shot Shot(Uri server, string path, Sent[] events, bool[]? isNew = null, Action? onAccepted = null, bool account = true)
    {
        var body = new StringBuilder(events.Length * 100);
        if (path.EndsWith("/bulk", StringComparison.Ordinal))
        {
            body.Append("{\"events\":[");
            for (var i = 0; i < events.Length; i++)
            {
                if (i > 0)
                {
                    body.Append(',');
                }

                Append(body, events[i]);
            }

            body.Append("]}");
        }
        else
        {
            Append(body, events[0]);
        }

        var bytes = RawHttpConnection.Request(server, "POST", path, ApiKey, Encoding.UTF8.GetBytes(body.ToString()));
        return new Shot(bytes, events.Length, !account ? null : status =>
        {
            if (status != 202)
            {
                return;
            }

            long added = 0;
            for (var i = 0; i < events.Length; i++)
            {
                if (isNew is null || isNew[i])
                {
                    Interlocked.Add(ref _expected[events[i].Customer * Features + events[i].Feature], events[i].Credits);
                    added++;
                }
            }

            Interlocked.Add(ref _newEvents, added);
            onAccepted?.Invoke();
        });
    }

    /// <summary>Adds an event acknowledged outside <see cref="Shot"/> (the importer's) to the expected totals.</summary>
    public void Acknowledge(Sent e)
    {
        Interlocked.Add(ref _expected[e.Customer * Features + e.Feature], e.Credits);
        Interlocked.Increment(ref _newEvents);
    }

    /// <summary>Compares every customer's usage with what was acknowledged; returns the number of (customer, feature) pairs that differ.</summary>
    public async Task<int> VerifyAsync(HttpClient http)
    {
        var wrong = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Customers), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, token) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/customers/c{c}/usage");
            request.Headers.Add("x-api-key", ApiKey);
            using var response = await http.SendAsync(request, token);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"usage of c{c}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
            }

            var body = await response.Content.ReadFromJsonAsync<JsonElement>(token);
            var seen = new decimal[Features];
            foreach (var feature in body.GetProperty("features").EnumerateArray())
            {
                var name = feature.GetProperty("feature_name").GetString()!;
                seen[int.Parse(name.AsSpan("bench f".Length), provider: System.Globalization.CultureInfo.InvariantCulture)] = feature.GetProperty("value").GetDecimal();
            }

            for (var f = 0; f < Features; f++)
            {
                if (seen[f] != Interlocked.Read(ref _expected[c * Features + f]))
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        });
        return wrong;
    }

    public static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, string key, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("x-api-key", key);
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
